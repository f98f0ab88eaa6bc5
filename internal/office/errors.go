package office

import "errors"

// ErrStoreOfAnotherSite is returned by Start when the state file last ran
// as another site than the configuration's, and Opts.RenameSite does not
// say that the office was renamed: the file may have been copied from
// another office's card, and starting on it would serve that office's
// tickets and clear its boards. Start wraps it with both sites.
var ErrStoreOfAnotherSite = errors.New("office: the state file is another site's")
