package bus

import "strings"

// Topics of the external contract (docs/mqtt.md), under a root qms/{site}.

func KioskPress(root, kiosk string) string   { return root + "/kiosk/" + kiosk + "/press" }
func KioskTicket(root, kiosk string) string  { return root + "/kiosk/" + kiosk + "/ticket" }
func KioskScan(root, kiosk string) string    { return root + "/kiosk/" + kiosk + "/scan" }
func CounterCmd(root, counter string) string { return root + "/counter/" + counter + "/cmd" }
func CounterAck(root, counter string) string { return root + "/counter/" + counter + "/ack" }
func BoxState(root, counter string) string   { return root + "/counter/" + counter + "/state" }
func Board(root, counter string) string      { return root + "/board/" + counter }
func BoardText(root, counter string) string  { return root + "/board/" + counter + "/text" }
func Hall(root string) string                { return root + "/hall" }
func Announce(root string) string            { return root + "/announce" }
func Queue(root, service string) string      { return root + "/queue/" + service }
func Load(root string) string                { return root + "/load" }
func Printer(root, kiosk string) string      { return root + "/printer/" + kiosk }
func Events(root string) string              { return root + "/events" }
func Status(root string) string              { return root + "/status" }
func Errors(root string) string              { return root + "/errors" }
func Announcer(root, id string) string       { return root + "/announcer/" + id }

// Segment returns the n-th level of topic below root ("qms/demo/kiosk/k1/press",
// n=1 → "k1"), or "" when the topic is not below root.
func Segment(root, topic string, n int) string {
	rest, ok := strings.CutPrefix(topic, root+"/")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if n >= len(parts) {
		return ""
	}
	return parts[n]
}
