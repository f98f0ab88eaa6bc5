//go:build !linux

package bus

import paho "github.com/eclipse/paho.mqtt.golang"

// quickAckDialer is nil here: paho dials, and a broker with Nagle's
// algorithm on may hold a command back for up to 40 ms.
func quickAckDialer() paho.OpenConnectionFunc { return nil }
