package display_test

import (
	"fmt"
	"time"

	"github.com/cherga/cherga/display"
)

var at = time.Date(2026, 11, 24, 10, 15, 0, 0, time.FixedZone("EET", 2*60*60))

func ExampleBoard() {
	b := display.Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: display.Calling, At: at}
	fmt.Println(string(b.JSON()))
	fmt.Println(b.Text())

	b.State = display.Closed
	fmt.Println(string(b.JSON()))
	fmt.Println(b.Text())
	// Output:
	// {"counter":"5","ticket":"А023","service":"Соціальний захист","state":"calling","at":"2026-11-24T10:15:00+02:00"}
	// А023 → 5
	// {"counter":"5","state":"closed","at":"2026-11-24T10:15:00+02:00"}
	// Зачинено
}

func ExampleHall() {
	h := display.NewHall(&display.HallOpts{Size: 3})
	h.Call("А021", "5", at)
	h.Call("Б007", "2", at.Add(time.Minute))
	h.Call("А021", "5", at.Add(2*time.Minute)) // a recall moves А021 up
	h.Call("А022", "2", at.Add(3*time.Minute)) // counter 2 now shows А022
	for _, c := range h.Calls() {
		fmt.Println(c.Ticket, c.Counter)
	}
	fmt.Println(string(h.Marshal()))
	// Output:
	// А022 2
	// А021 5
	// {"calls":[{"ticket":"А022","counter":"2","at":"2026-11-24T10:18:00+02:00"},{"ticket":"А021","counter":"5","at":"2026-11-24T10:17:00+02:00"}]}
}

func ExampleQueue() {
	q := display.Queue{Waiting: 12, ETAMin: 18, LastCalled: "А011"}
	fmt.Println(string(q.JSON()))
	// Output:
	// {"waiting":12,"eta_min":18,"last_called":"А011","paused":false}
}

func ExampleLoad() {
	l := display.Load{
		Waiting:      12,
		OpenCounters: 3,
		Services: []display.LoadService{
			{Service: "social", Name: "Соціальний захист", Waiting: 12, ETAMin: 18, OpenCounters: 3},
		},
		At: at,
	}
	fmt.Println(string(l.JSON()))
	// Output:
	// {"waiting":12,"open_counters":3,"services":[{"service":"social","name":"Соціальний захист","waiting":12,"eta_min":18,"open_counters":3,"paused":false}],"paused":false,"at":"2026-11-24T10:15:00+02:00"}
}

func ExampleAwtrixOpts() {
	o := display.AwtrixOpts{Prefix: "awtrix_5a3f1c"}
	b := display.Board{Counter: "5", Ticket: "А023", State: display.Calling, At: at}
	app := o.CustomApp(b)
	fmt.Println(app.Topic, app.Retain, string(app.Payload))
	n, _ := o.Notification(b.Ticket)
	fmt.Println(n.Topic, n.Retain, string(n.Payload))
	// Output:
	// awtrix_5a3f1c/custom/cherga true {"text":"А023","color":"#FFB000","blinkText":500,"center":true,"textCase":2,"noScroll":true,"lifetime":300,"lifetimeMode":1}
	// awtrix_5a3f1c/notify false {"text":"А023","color":"#FFB000","blinkText":250,"center":true,"textCase":2,"noScroll":true,"duration":5,"stack":false,"wakeup":true}
}

func ExampleSettle() {
	blink := 30 * time.Second
	b := display.Board{Counter: "5", Ticket: "А023", State: display.Calling, At: at}
	when, _ := display.SettleAt(b, blink)
	fmt.Println(display.Settle(b, at.Add(10*time.Second), blink).State)
	fmt.Println(display.Settle(b, when, blink).State, when.Format(time.TimeOnly))
	// Output:
	// calling
	// serving 10:15:30
}
