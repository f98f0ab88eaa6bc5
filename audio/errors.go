package audio

import "errors"

var (
	// ErrLang is returned when the language is neither "uk" nor "en".
	ErrLang = errors.New("audio: unsupported language")

	// ErrRange is returned by NumberWords and NumberText for a number outside
	// 0..9999. Announce reports such a number as ErrLabel or ErrCounter.
	ErrRange = errors.New("audio: number out of range 0..9999")

	// ErrLabel is returned by Announce when the ticket label is not zero to two
	// Ukrainian letters followed by digits.
	ErrLabel = errors.New("audio: bad ticket label")

	// ErrCounter is returned by Announce when the counter id is not a number.
	ErrCounter = errors.New("audio: bad counter")

	// ErrCounterKind is returned by ParseCounterKind and Announce for a counter
	// kind other than Window or Cabinet.
	ErrCounterKind = errors.New("audio: unknown counter kind")
)
