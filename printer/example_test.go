package printer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cherga/cherga/printer"
)

func ExampleProfile_Ticket() {
	p, err := printer.LookupProfile("xprinter-58")
	if err != nil {
		panic(err)
	}
	b, err := p.Ticket(&printer.Ticket{
		Header:    "ЦНАП м. Житомир",
		Label:     "Б104",
		Service:   "Оформлення субсидії",
		ServiceEn: "Housing subsidy",
		Issued:    time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC),
		Ahead:     12,
		Wait:      -1, // unknown: not printed
	})
	if err != nil {
		panic(err)
	}
	docs, _ := printer.Decode(b)
	fmt.Println(docs[0])
	// Output:
	// ЦНАП м. Житомир
	//
	// Б104
	// Оформлення субсидії
	// Housing subsidy
	// 23.11.2026 14:30
	//
	// Перед вами: 12 осіб
	// People ahead: 12
}

func ExampleCodePage_Encode() {
	_, err := printer.CP866.Encode(nil, "Вінниця")
	var ee *printer.EncodeError
	if errors.As(err, &ee) {
		fmt.Printf("%c at %d\n", ee.Rune, ee.Pos)
	}
	b, _ := printer.CP1251.Encode(nil, "Вінниця")
	fmt.Printf("% X\n", b)
	// Output:
	// і at 1
	// C2 B3 ED ED E8 F6 FF
}

func ExampleStatus_Err() {
	var s printer.Status
	// Replies of a printer with its cover open to DLE EOT 1, 2 and 4.
	for n, reply := range map[byte]byte{1: 0x1A, 2: 0x16, 4: 0x12} {
		if err := s.Update(n, reply); err != nil {
			panic(err)
		}
	}
	err := s.Err()
	fmt.Println(err)
	fmt.Println(errors.Is(err, printer.ErrCoverOpen), errors.Is(err, printer.ErrPaperOut))
	// Output:
	// printer: cannot print: cover open, offline
	// true false
}

func ExampleOpen() {
	// "none" is a kiosk whose tickets are printed elsewhere.
	p, err := printer.Open("none", nil)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := p.Status(ctx); err != nil || s.Err() != nil {
		fmt.Println("cannot print:", err, s.Err())
		return
	}
	fmt.Println(p.PrintTicket(ctx, &printer.Ticket{Label: "А001", Ahead: -1, Wait: -1}))
	// Output:
	// <nil>
}

// A model the built-in profiles lack, described in YAML as in firmware-config's
// printers.yaml: a 58 mm clone without a cutter that prints CP1125.
func ExampleParseProfiles() {
	ps, err := printer.ParseProfiles([]byte(`
profiles:
  - name: kiosk-58-cp1125
    paper_mm: 58
    columns: 32
    code_page: cp1125
    code_tables: {cp866: 17, cp1125: 44}
    cut: false
`))
	if err != nil {
		panic(err)
	}
	b, err := ps[0].Ticket(&printer.Ticket{Label: "Є7", Service: "Ґрунтові питання: м’ята й їжа", Ahead: -1, Wait: -1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("ESC t %d\n", b[4])
	// Without a cutter the ticket ends with a feed: it is still pending.
	d := printer.NewDecoder(ps[0])
	d.Feed(b)
	// «й» is kept with the word after it by a no-break space (shown as ~):
	// a one-letter word never ends a line.
	fmt.Println(strings.ReplaceAll(d.Pending().String(), "\u00a0", "~"))
	// Output:
	// ESC t 44
	// Є7
	// Ґрунтові питання: м'ята й~їжа
}
