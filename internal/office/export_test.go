package office

// MsgStillAway is what the publisher logs, at debug level, at each retry
// that finds the broker still unreachable.
const MsgStillAway = msgStillAway
