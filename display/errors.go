package display

import "errors"

// ErrBoardOpts is returned by BoardOpts.Validate and ParseMode.
var ErrBoardOpts = errors.New("display: bad board options")

// FieldError is a problem with one field of BoardOpts; Field is relative to
// the board ("awtrix.prefix"), for the configuration to prefix.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return "display: board." + e.Field + ": " + e.Message }

// Unwrap makes errors.Is see ErrBoardOpts.
func (e *FieldError) Unwrap() error { return ErrBoardOpts }
