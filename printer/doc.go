// Package printer drives the thermal ticket printer of the office: it encodes ESC/POS
// commands, lays out the citizen's ticket in Ukrainian and English, talks to the
// printer over a serial line, a USB printer-class device file or raw TCP (port 9100),
// reads its real-time status, and decodes ESC/POS streams back into text for the
// simulator and the tests.
//
// # ESC/POS
//
// Every command follows the Epson ESC/POS Command Reference for TM printers:
//
//	https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/index.html
//
// Each encoder is a small function that appends one command to a byte slice
// (Init, CodeTable, Align, Emphasize, Size, ...), so a ticket is built with one
// allocation and a test can compare it byte for byte. The comment of each function
// names the command as the reference spells it (for example "GS V m n").
// Cheap clones (Xprinter, "POS-80", "POS-58") implement the same commands; where they
// differ (the ESC t numbers of code pages, the presence of a cutter, a Chinese
// character mode that FS . turns off) the difference lives in a Profile. Some are built in (LookupProfile); more come from YAML
// (ParseProfiles), as firmware-config's printers.yaml.
//
// # Ukrainian text
//
// A printer prints bytes through a code page selected with ESC t. Ukrainian needs
// І і Ї ї Є є Ґ ґ; CP866 lacks І і and Ґ ґ, so profiles use Windows-1251 (CP1251) or
// CP1125 (RUSCII, CP866 with Ґ ґ Є є І і Ї ї at 0xF2..0xF9). A character that the
// selected page cannot print is an *EncodeError naming the rune and its position,
// never a silent '?': a ticket with a wrong service name must not reach a citizen.
//
// # Status
//
// Status sends the real-time requests DLE EOT 1, 2 and 4 in one write (and 3 when
// the printer reports an error) and decodes their one-byte replies into a Status.
// Status.Err turns a printer that cannot print into a *Condition error that wraps
// sentinels such as ErrPaperOut and ErrCoverOpen, so callers use errors.Is.
//
// A printer answers a real-time request when it reaches it in its input, after
// the bytes sent before it. So Print followed by Status tells whether the ticket
// was taken whole: a roll that ran out or a cover opened while it arrived shows
// in that reply (paper end stop, DLE EOT 2 bit 5), and the caller voids the
// number. The printer still holds the rest of that ticket and would print it on
// the next roll; ClearBuffer (DLE DC4 fn=8, for a profile with clear_buffer)
// drops it.
//
// That reply cannot tell what happens after the ticket was taken: a printer on
// USB or the network takes the whole ticket into its buffer at once and prints
// it in the next second, and a roll that ends right after the cut makes the
// reply say paper out about a ticket that is in the citizen's hand. A profile
// with process_id (the Epson TM models) knows: PrintConfirmed ends the ticket
// with a process ID request (GS ( H fn=48), which the printer answers only once
// the ticket is printed and cut, and returns then; or returns the printer's
// Condition when it told first that it stopped.
//
// A profile with asb (the Epson TM models) has automatic status back: when
// Open's connection is up, GS a asks the printer to send its whole state, four
// bytes, at once and at every change of paper, cover, errors or online, and a
// goroutine reads the connection all the time to take those messages as they
// come (AutoStatus, Changes), and the answers to process ID requests. Their
// first byte tells them from the replies to DLE EOT, which still reach Status in
// order. ESC @ turns ASB off, so tickets
// of such a profile send GS a again after theirs. Four bytes of any stream can
// pass for such a message (a line that echoes the ticket back, a serial line
// at the wrong baud rate), so PrintConfirmed takes a stopped printer's word
// from ASB only once a real-time request (DLE EOT) confirms it; without that,
// the ticket's fate is unknown (ErrUnconfirmed), and the kiosk keeps it.
//
// # Transports
//
// Open takes the -printer flag of the daemon: "serial:/dev/ttyUSB0?baud=19200",
// "/dev/usb/lp0", "tcp://host:9100" or "none". A device that disappears (a USB
// cable pulled, a write error) is reopened on the next call.
package printer
