package printer

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// headline prints a `name: value unit` line for make bench once per run, however
// often the benchmark function is called.
var headlines sync.Map

func headline(name, format string, a ...any) {
	if _, dup := headlines.LoadOrStore(name, true); !dup {
		fmt.Printf("%s: "+format+"\n", append([]any{name}, a...)...)
	}
}

// BenchmarkTicket lays out the default ticket for every profile. It prints
// ticket_bytes (the default profile's) and ticket_bytes_<profile>, and serial_ms_19200 and serial_ms_115200: the time the
// default profile's ticket takes on a serial line at those rates (10 bits a byte
// with 8N1), which bounds press-to-paper on a serial printer.
func BenchmarkTicket(b *testing.B) {
	for _, name := range Profiles() {
		b.Run(name, func(b *testing.B) {
			p, err := LookupProfile(name)
			if err != nil {
				b.Fatal(err)
			}
			t := testTicket()
			var n int
			b.ReportAllocs()
			for b.Loop() {
				out, err := p.Ticket(t)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes")
			headline("ticket_bytes_"+strings.ReplaceAll(name, "-", "_"), "%d bytes", n)
			if name == "epson-tm-t20" { // the default office's (default.yaml)
				headline("ticket_bytes", "%d bytes", n)
				for _, baud := range []int{19200, 115200} {
					headline(fmt.Sprintf("serial_ms_%d", baud), "%.1f ms", float64(n)*10*1000/float64(baud))
				}
			}
		})
	}
}
