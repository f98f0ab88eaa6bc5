package queue_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// A kiosk issues two tickets, a priority one among them; the counter calls
// the priority ticket first.
func Example() {
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "cherga-example")
	defer os.RemoveAll(dir)
	clock := queuetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	e, err := queue.Open(filepath.Join(dir, "cherga.db"), cfg, &queue.Opts{Now: clock.Now})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	ctx := context.Background()

	a, _ := e.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	b, _ := e.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1", Priority: true})
	fmt.Println("issued", a.Ticket.Label, "and", b.Ticket.Label, "with", b.Ahead, "ahead")
	res, _ := e.Counter(ctx, "1", queue.Command{Action: queue.Next})
	fmt.Println("counter 1 calls", res.Ticket.Label)
	// Output:
	// issued А001 and А002 with 0 ahead
	// counter 1 calls А002
}
