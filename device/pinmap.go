package device

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PinKind is what a header pin is for.
type PinKind string

const (
	// KindGPIO is a general-purpose pin, free for buttons, lamps, buzzers.
	KindGPIO PinKind = "gpio"
	// KindPower is a 3V3 or 5V supply pin.
	KindPower PinKind = "power"
	// KindGround is a 0 V pin.
	KindGround PinKind = "ground"
	// KindI2C is an I2C data or clock pin (with pull-ups on the board),
	// kept for I2C devices unless allowed.
	KindI2C PinKind = "i2c"
	// KindIDEEPROM is a pin of the HAT ID EEPROM bus, read at boot, kept
	// free unless allowed.
	KindIDEEPROM PinKind = "id_eeprom"
	// KindUART is a pin of the serial port UART0, which carries the
	// serial console when it is on (raspi-config) or a HAT's serial line:
	// a button or lamp there takes the pin from it. Taken, with a warning
	// (PinCheckOpts.Warn) unless allowed: offices ran with buttons there
	// before it was told apart.
	KindUART PinKind = "uart"
)

var pinKinds = []PinKind{KindGPIO, KindPower, KindGround, KindI2C, KindIDEEPROM, KindUART}

// HeaderPin is one physical pin of a header.
type HeaderPin struct {
	// Pin is the physical pin number, 1 at the corner marked on the board.
	Pin int `yaml:"pin"`
	// Name is the GPIO name of a gpio, i2c or id_eeprom pin as periph and
	// the configuration spell it ("GPIO17"), the supply of the others
	// ("3V3", "5V", "GND").
	Name     string  `yaml:"name"`
	Kind     PinKind `yaml:"kind"`
	Function string  `yaml:"function,omitempty"`
	// Line is the line of the pin in the pin map file.
	Line int `yaml:"-"`
}

// String returns "GPIO17 (pin 11)".
func (p HeaderPin) String() string { return fmt.Sprintf("%s (pin %d)", p.Name, p.Pin) }

// PinMap is the header of one board family: which physical pin is which
// GPIO, and which pins are power, ground, I2C or ID EEPROM.
// firmware-config/pinmaps holds the supported boards.
type PinMap struct {
	Board  string      `yaml:"board"`
	Name   string      `yaml:"name"`
	Models []string    `yaml:"models"`
	Pins   []HeaderPin `yaml:"pins"`

	file   string
	byName map[string]int // GPIO name → index in Pins
	byPin  map[int]int    // physical pin → index in Pins
}

// PinError is one problem of a pin map or of a pin assignment, with where it
// is: the file and line, and the field of the configuration.
type PinError struct {
	File  string
	Line  int
	Field string // counters[0].buttons.next; "" in a pin map
	Pin   string // as written
	Msg   string
	err   error // ErrPinMap or ErrPinAssignment
}

func (e *PinError) Error() string {
	var b strings.Builder
	b.WriteString("device: ")
	if e.File != "" {
		b.WriteString(e.File + ":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line) + ":")
	}
	if e.File != "" || e.Line > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrPinMap or ErrPinAssignment.
func (e *PinError) Unwrap() error { return e.err }

// PinErrors is every problem found, in file order.
type PinErrors []*PinError

func (e PinErrors) Error() string {
	msgs := make([]string, len(e))
	for i, pe := range e {
		msgs[i] = pe.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (e PinErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, pe := range e {
		errs[i] = pe
	}
	return errs
}

var gpioNameRe = regexp.MustCompile(`^GPIO[0-9]{1,3}$`)

// ParsePinMap reads a pin map (firmware-config/pinmaps/*.yaml) and checks
// it: known fields only, physical pins numbered once each, a known kind for
// every pin, GPIO names of the form GPIO17 given once each. file names the
// map in errors; the errors are PinErrors wrapping ErrPinMap, with lines.
func ParsePinMap(file string, b []byte) (*PinMap, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, PinErrors{{File: file, Msg: err.Error(), err: ErrPinMap}}
	}
	m := &PinMap{file: file, byName: map[string]int{}, byPin: map[int]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(m); err != nil {
		return nil, PinErrors{{File: file, Msg: err.Error(), err: ErrPinMap}}
	}
	var errs PinErrors
	bad := func(line int, pin, format string, args ...any) {
		errs = append(errs, &PinError{File: file, Line: line, Pin: pin, Msg: fmt.Sprintf(format, args...), err: ErrPinMap})
	}
	lines := seqLines(&doc, "pins")
	if m.Board == "" {
		bad(1, "", "no board name")
	}
	if len(m.Pins) == 0 {
		bad(1, "", "no pins")
	}
	for i := range m.Pins {
		p := &m.Pins[i]
		if i < len(lines) {
			p.Line = lines[i]
		}
		if p.Pin < 1 {
			bad(p.Line, p.Name, "pin number %d: header pins count from 1", p.Pin)
		} else if j, dup := m.byPin[p.Pin]; dup {
			bad(p.Line, p.Name, "pin %d is listed twice (also on line %d)", p.Pin, m.Pins[j].Line)
		} else {
			m.byPin[p.Pin] = i
		}
		if !slices.Contains(pinKinds, p.Kind) {
			bad(p.Line, p.Name, "pin %d: unknown kind %q (want gpio, power, ground, i2c, id_eeprom or uart)", p.Pin, p.Kind)
		}
		switch p.Kind {
		case KindGPIO, KindI2C, KindIDEEPROM, KindUART:
			if !gpioNameRe.MatchString(p.Name) {
				bad(p.Line, p.Name, "pin %d: a %s pin is named like GPIO17, got %q", p.Pin, p.Kind, p.Name)
			} else if j, dup := m.byName[p.Name]; dup {
				bad(p.Line, p.Name, "%s is on pin %d and on pin %d (line %d)", p.Name, p.Pin, m.Pins[j].Pin, m.Pins[j].Line)
			} else {
				m.byName[p.Name] = i
			}
		default:
			if p.Name == "" {
				bad(p.Line, "", "pin %d has no name", p.Pin)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return m, nil
}

// seqLines returns the line of each item of the top-level sequence key.
func seqLines(doc *yaml.Node, key string) []int {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, n := range root.Content[i+1].Content {
				lines = append(lines, n.Line)
			}
			return lines
		}
	}
	return nil
}

// String returns the board's name.
func (m *PinMap) String() string { return m.Name }

// physRe matches the physical spellings of a pin: "P1_11" (periph's header
// alias), "PIN11", "pin 11".
var physRe = regexp.MustCompile(`^(?:P1_|PIN ?)([0-9]{1,2})$`)

// Lookup finds a header pin by its GPIO name ("GPIO17", or "BCM17") or by
// its physical position ("P1_11", "PIN11"); it also finds power and ground
// pins by physical position, and by name when the name is unique on the
// header.
func (m *PinMap) Lookup(ref string) (HeaderPin, bool) {
	r := strings.ToUpper(strings.TrimSpace(ref))
	if n, ok := strings.CutPrefix(r, "BCM"); ok {
		r = "GPIO" + n
	}
	if i, ok := m.byName[r]; ok {
		return m.Pins[i], true
	}
	if sm := physRe.FindStringSubmatch(r); sm != nil {
		n, _ := strconv.Atoi(sm[1])
		if i, ok := m.byPin[n]; ok {
			return m.Pins[i], true
		}
		return HeaderPin{}, false
	}
	var found []HeaderPin
	for _, p := range m.Pins {
		if strings.EqualFold(p.Name, r) {
			found = append(found, p)
		}
	}
	if len(found) >= 1 {
		return found[0], true
	}
	return HeaderPin{}, false
}

// PinUse is one pin the office configuration takes.
type PinUse struct {
	// Pin is the pin as written ("GPIO17").
	Pin string
	// Field is where: "counters[0].buttons.next".
	Field string
	// Line is the line in the configuration file; 0 when unknown.
	Line int
}

// PinFields are the fields of an office configuration that hold a pin, as
// patterns: [*] stands for any index, a trailing .* for any key. PinUses
// looks for these; extend it with the configuration.
var PinFields = []string{
	"counters[*].buttons.*",
	"counters[*].lamp",
	"kiosks[*].buttons[*].pin",
	"kiosks[*].buttons[*].lamp",
	"kiosks[*].buzzer",
}

// join is path.key, or key at the top.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// merged is the mappings a merge key's value brings in: one mapping, an
// alias of one, or a sequence of them, in order.
func merged(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			if c.Kind == yaml.AliasNode && c.Alias != nil {
				c = c.Alias
			}
			if c.Kind == yaml.MappingNode {
				out = append(out, c)
			}
		}
		return out
	}
	return nil
}

// maxYAMLDepth bounds how deep PinUses walks a document.
const maxYAMLDepth = 64

// maxYAMLNodes bounds how many nodes PinUses visits, aliases counted each
// time they are walked: a configuration has a few hundred.
const maxYAMLNodes = 100_000

// PinUses returns, in document order, every pin an office configuration
// (YAML, or JSON) assigns in a field of PinFields, with its line. Empty
// values are skipped: MQTT-only buttons have no pin.
func PinUses(config []byte) ([]PinUse, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, fmt.Errorf("device: pin uses: %w", err)
	}
	var pats []*regexp.Regexp
	for _, f := range PinFields {
		q := regexp.QuoteMeta(f)
		q = strings.ReplaceAll(q, `\[\*\]`, `\[[0-9]+\]`)
		q = strings.ReplaceAll(q, `\.\*`, `\.[^.\[]+`)
		pats = append(pats, regexp.MustCompile("^"+q+"$"))
	}
	var uses []PinUse
	// onPath guards against an alias to one of its own ancestors
	// ("a: &x [*x]"), which would otherwise recurse forever.
	onPath := map[*yaml.Node]bool{}
	visits := 0 // aliases of aliases could otherwise blow up ("billion laughs")
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		visits++
		if onPath[n] || len(onPath) > maxYAMLDepth || visits > maxYAMLNodes {
			return
		}
		onPath[n] = true
		defer delete(onPath, n)
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			// A merge key (<<: *defaults) brings the keys of other
			// mappings in, under this path, unless this one has them.
			own := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i].Value; k != "<<" {
					own[k] = true
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if k == "<<" {
					for _, m := range merged(n.Content[i+1]) {
						for j := 0; j+1 < len(m.Content); j += 2 {
							if mk := m.Content[j].Value; mk != "<<" && !own[mk] {
								own[mk] = true // an earlier merge wins
								walk(m.Content[j+1], join(path, mk))
							}
						}
					}
					continue
				}
				walk(n.Content[i+1], join(path, k))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.AliasNode:
			if n.Alias != nil {
				walk(n.Alias, path)
			}
		case yaml.ScalarNode:
			if n.Value == "" {
				return
			}
			for _, re := range pats {
				if re.MatchString(path) {
					uses = append(uses, PinUse{Pin: n.Value, Field: path, Line: n.Line})
					return
				}
			}
		}
	}
	walk(&doc, "")
	if visits > maxYAMLNodes {
		return nil, fmt.Errorf("device: pin uses: more than %d YAML nodes (aliases?)", maxYAMLNodes)
	}
	return uses, nil
}

// PinCheckOpts relaxes PinMap.Check.
type PinCheckOpts struct {
	// Allow lists pin kinds ("i2c", "id_eeprom", "uart") or pins ("GPIO2") that the
	// office may take anyway: I2C pins are fine for buttons when no I2C
	// device is attached. Power and ground pins are never allowed.
	Allow []string `yaml:"allow"`
	// Warn, if set, is given what is taken but worth a word: a pin of
	// the serial port not allowed (KindUART), as a PinError.
	Warn func(*PinError) `yaml:"-"`
}

// Check validates the pins an office takes (from PinUses) against the
// header: each pin exists, is used once, is not power or ground, and is not
// an I2C or ID EEPROM pin unless opts allows it. file names the
// configuration in errors. The error is PinErrors, each wrapping
// ErrPinAssignment and naming the pin, the field and its line.
func (m *PinMap) Check(file string, uses []PinUse, opts *PinCheckOpts) error {
	if opts == nil {
		opts = &PinCheckOpts{}
	}
	allowed := func(p HeaderPin) bool {
		for _, a := range opts.Allow {
			if strings.EqualFold(a, string(p.Kind)) || strings.EqualFold(a, p.Name) {
				return true
			}
		}
		return false
	}
	var errs PinErrors
	taken := map[int]PinUse{}
	for _, u := range uses {
		pinErr := func(format string, args ...any) *PinError {
			return &PinError{File: file, Line: u.Line, Field: u.Field, Pin: u.Pin, Msg: fmt.Sprintf(format, args...), err: ErrPinAssignment}
		}
		bad := func(format string, args ...any) { errs = append(errs, pinErr(format, args...)) }
		p, ok := m.Lookup(u.Pin)
		if !ok {
			bad("%q is not a pin of the %s; use a GPIO name such as GPIO17, or P1_11 for physical pin 11", u.Pin, m.Name)
			continue
		}
		switch p.Kind {
		case KindPower:
			bad("%s is a power pin (%s), not a GPIO", u.Pin, p)
			continue
		case KindGround:
			bad("%s is a ground pin (%s), not a GPIO", u.Pin, p)
			continue
		case KindI2C, KindIDEEPROM:
			if !allowed(p) {
				what := map[PinKind]string{KindI2C: "I2C", KindIDEEPROM: "the HAT ID EEPROM bus"}[p.Kind]
				// The configuration's field, as one line the administrator
				// can paste at the top level of the file.
				bad("%s is %s %s, kept free for %s; if nothing uses it, allow it in the configuration with gpio: {allow: [%s]} (the pin alone: gpio: {allow: [%s]})", p, what, p.Function, what, p.Kind, p.Name)
				continue
			}
		case KindUART:
			if !allowed(p) && opts.Warn != nil {
				opts.Warn(pinErr("%s is the serial port's %s: taken from the serial console if that is on (raspi-config: Interface Options, Serial Port, to turn it off); gpio: {allow: [uart]} (the pin alone: gpio: {allow: [%s]}) says it is meant, and this warning goes", p, p.Function, p.Name))
			}
		}
		if prev, dup := taken[p.Pin]; dup {
			where := prev.Field
			if prev.Line > 0 {
				where += fmt.Sprintf(" on line %d", prev.Line)
			}
			bad("%s is already used by %s", p, where)
			continue
		}
		taken[p.Pin] = u
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
