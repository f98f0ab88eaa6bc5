package office

import "errors"

// ErrStoreOfAnotherSite is returned by Start when the state file last ran
// as another site than the configuration's, and Opts.RenameSite does not
// say that the office was renamed: the file may have been copied from
// another office's card, and starting on it would serve that office's
// tickets and clear its boards. Start wraps it with both sites.
var ErrStoreOfAnotherSite = errors.New("office: the state file is another site's")

// The codes of an AdminError: the "code" of an administrator's request
// refused (docs/mqtt.md, "Administration"), for a script to switch on. The
// message says what happened and what to do; the field, which argument.
const (
	// CodeBadRequest: the request, or one of its args, is not what the
	// operation takes (Field names the arg).
	CodeBadRequest = "bad_request"
	// CodeUnknownOp: no such operation (the message lists them).
	CodeUnknownOp = "unknown_op"
	// CodeForbidden: an operation that changes the office, sent on
	// {root}/read/req.
	CodeForbidden = "forbidden"
	// CodeNotFound: what the args name is not there: a ticket of today, a
	// kept day, a configuration version, an event seq still kept.
	CodeNotFound = "not_found"
	// CodeRefused: well formed, but the office as it stands does not allow
	// it now (a closed counter, a change that would send waiting citizens
	// home without expire, a printer that cannot print).
	CodeRefused = "refused"
	// CodeConflict: a config.set whose base_version another change has
	// passed since.
	CodeConflict = "conflict"
	// CodeBusy: too many requests are waiting; send it again later.
	CodeBusy = "busy"
	// CodeTimeout: the store did not finish it within 10 s (a disk that
	// stalled); send it again.
	CodeTimeout = "timeout"
)
