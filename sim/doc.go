// Package sim stands in for every device of an office, in tests and in the
// demo (cherga-sim):
//
//   - Pins: GPIO buttons and lamps on periph's gpiotest pins; Press holds a
//     button as a hand would.
//   - Printer: an ESC/POS printer on a pseudo-terminal that
//     answers real-time status and automatic status back as its state says
//     (paper near end or out, cover open, offline, a slow line, a printer
//     that never answers), and renders what it prints as text and as a PNG
//     of the paper (RenderPNG).
//   - Scanner: a barcode/QR scanner on a pseudo-terminal that sends a code
//     line.
//   - Listener: an MQTT subscriber that keeps what the boards, the hall
//     and the announcer would receive, and waits for a message.
//   - Office: the whole office (controller, embedded broker, the devices
//     above: a printer for each kiosk but a screen kiosk's) and the state
//     the demo's web page shows; SetPrinterFault puts a Fault in a
//     kiosk's printer by name, as the page's buttons do.
package sim
