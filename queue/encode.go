package queue

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The events are written on every state change, so they are encoded by
// hand rather than by encoding/json's reflection: about five times faster,
// and into one buffer per transaction instead of an allocation per value.
// The output is JSON that encoding/json decodes into the same Event (the
// field names, omitempty and omitzero rules of the struct tags);
// TestEncodeMatchesJSON holds it to that for every field, so a field added
// to Ticket or Event without its line here fails the tests.

// appendEvent appends ev as JSON.
func appendEvent(b []byte, ev *Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = appendKeyString(b, `,"type":`, ev.Type)
	b = appendKeyTime(b, `,"at":`, ev.At)
	if ev.Ticket != nil {
		b = append(b, `,"ticket":`...)
		b = appendTicket(b, ev.Ticket)
	}
	b = appendOmitString(b, `,"counter":`, ev.Counter)
	b = appendOmitString(b, `,"service":`, ev.Service)
	b = appendOmitString(b, `,"kiosk":`, ev.Kiosk)
	b = appendOmitString(b, `,"code":`, ev.Code)
	b = appendOmitInt(b, `,"number":`, ev.Number)
	b = appendOmitString(b, `,"reason":`, ev.Reason)
	if ev.Alert {
		b = append(b, `,"alert":true`...)
	}
	if ev.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendUint(b, ev.Version, 10)
	}
	if ev.Appointment != nil {
		// Rare (a booking, a cancellation): by reflection.
		j, err := json.Marshal(ev.Appointment)
		if err != nil {
			j = []byte("null") // none of its fields fails to encode
		}
		b = append(append(b, `,"appointment":`...), j...)
	}
	return append(b, '}')
}

// appendTicket appends tk as JSON.
func appendTicket(b []byte, tk *Ticket) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, tk.ID, 10)
	b = appendKeyString(b, `,"label":`, tk.Label)
	b = appendKeyString(b, `,"service":`, tk.Service)
	b = appendKeyString(b, `,"day":`, tk.Day)
	b = append(b, `,"number":`...)
	b = strconv.AppendInt(b, int64(tk.Number), 10)
	b = appendOmitString(b, `,"kiosk":`, tk.Kiosk)
	if tk.Priority {
		b = append(b, `,"priority":true`...)
	}
	b = appendOmitString(b, `,"category":`, tk.Category)
	b = appendKeyString(b, `,"state":`, string(tk.State))
	b = appendKeyTime(b, `,"issued":`, tk.Issued)
	b = appendOmitTime(b, `,"called":`, tk.Called)
	b = appendOmitTime(b, `,"ended":`, tk.Ended)
	b = appendOmitString(b, `,"counter":`, tk.Counter)
	b = appendOmitInt(b, `,"recalls":`, tk.Recalls)
	b = appendOmitString(b, `,"from":`, tk.From)
	b = appendOmitString(b, `,"origin":`, tk.Origin)
	b = appendOmitInt(b, `,"transfers":`, tk.Transfers)
	b = appendOmitString(b, `,"for_counter":`, tk.ForCounter)
	b = appendOmitTime(b, `,"not_before":`, tk.NotBefore)
	if tk.Returned {
		b = append(b, `,"returned":true`...)
	}
	b = appendOmitInt(b, `,"rating":`, tk.Rating)
	b = appendOmitString(b, `,"reason":`, tk.Reason)
	if tk.Appointment != 0 {
		b = append(b, `,"appointment":`...)
		b = strconv.AppendUint(b, tk.Appointment, 10)
	}
	return append(b, '}')
}

func appendKeyString(b []byte, key, s string) []byte {
	return appendString(append(b, key...), s)
}

func appendOmitString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendKeyString(b, key, s)
}

func appendOmitInt(b []byte, key string, n int) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), int64(n), 10)
}

// appendKeyTime writes t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds and the offset of its location).
func appendKeyTime(b []byte, key string, t time.Time) []byte {
	b = append(b, key...)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendOmitTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendKeyTime(b, key, t)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, and invalid UTF-8 replaced by U+FFFD, as
// encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
