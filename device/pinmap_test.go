package device_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/device"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
)

func rpi(t *testing.T) *device.PinMap {
	t.Helper()
	b, err := firmwareconfig.PinMap("rpi-40pin")
	require.NoError(t, err)
	m, err := device.ParsePinMap("rpi-40pin.yaml", b)
	require.NoError(t, err)
	return m
}

func TestRPiPinMap(t *testing.T) {
	require.Equal(t, []string{"rpi-40pin"}, firmwareconfig.PinMaps())
	m := rpi(t)
	require.Len(t, m.Pins, 40)
	kinds := map[device.PinKind]int{}
	for i, p := range m.Pins {
		require.Equal(t, i+1, p.Pin, "in physical order")
		kinds[p.Kind]++
	}
	require.Equal(t, map[device.PinKind]int{"gpio": 22, "power": 4, "ground": 8, "i2c": 2, "id_eeprom": 2, "uart": 2}, kinds)

	for ref, want := range map[string]string{
		"GPIO17": "GPIO17 (pin 11)", "gpio17": "GPIO17 (pin 11)", "BCM17": "GPIO17 (pin 11)", "P1_11": "GPIO17 (pin 11)",
		"PIN11": "GPIO17 (pin 11)", "GPIO2": "GPIO2 (pin 3)", "P1_27": "GPIO0 (pin 27)", "P1_2": "5V (pin 2)", "GND": "GND (pin 6)",
		"GPIO21": "GPIO21 (pin 40)", "GPIO5": "GPIO5 (pin 29)",
	} {
		p, ok := m.Lookup(ref)
		require.True(t, ok, ref)
		require.Equal(t, want, p.String(), ref)
	}
	for _, ref := range []string{"GPIO28", "P1_41", "P1_0", "GPIO", "17", ""} {
		_, ok := m.Lookup(ref)
		require.False(t, ok, ref)
	}
}

// TestDefaultOfficePins: the pins of the default office are all fine on
// the 40-pin header.
func TestDefaultOfficePins(t *testing.T) {
	b, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	uses, err := device.PinUses(b)
	require.NoError(t, err)
	var pins []string
	for _, u := range uses {
		pins = append(pins, u.Field+"="+u.Pin)
		require.Positive(t, u.Line)
	}
	require.ElementsMatch(t, []string{
		"counters[0].buttons.next=GPIO5", "counters[0].buttons.recall=GPIO6",
		"counters[0].buttons.noshow=GPIO13", "counters[0].buttons.done=GPIO19",
		"kiosks[0].buttons[0].pin=GPIO17", "kiosks[0].buttons[1].pin=GPIO27", "kiosks[0].buttons[2].pin=GPIO22",
		"counters[0].lamp=GPIO26", "kiosks[0].buzzer=GPIO18",
		"kiosks[0].buttons[0].lamp=GPIO23", "kiosks[0].buttons[1].lamp=GPIO24", "kiosks[0].buttons[2].lamp=GPIO25",
	}, pins)
	require.NoError(t, rpi(t).Check("default.yaml", uses, nil))
}

const office = `site: demo
counters:
  - id: "1"
    services: [social]
    buttons:
      next: GPIO5
      recall: GPIO2
      noshow: P1_29
      done: 5V
    lamp: GPIO0
  - {id: "2", services: [social], buttons: {next: GPIO41, recall: GND, done: ""}}
kiosks:
  - id: k1
    buttons:
      - {service: social, pin: GPIO17, lamp: BCM17}
      - {service: pension, pin: GPIO3}
      - {service: employment, pin: GPIO14}
    buzzer: P1_28
`

func TestCheckPins(t *testing.T) {
	uses, err := device.PinUses([]byte(office))
	require.NoError(t, err)
	require.Len(t, uses, 12, "the empty done of counter 2 has no pin")

	var warned []string
	err = rpi(t).Check("office.yaml", uses, &device.PinCheckOpts{Warn: func(e *device.PinError) { warned = append(warned, e.Error()) }})
	require.ErrorIs(t, err, device.ErrPinAssignment)
	// The serial port's pin is taken, with a word: offices ran with
	// buttons there before it was told apart.
	require.Equal(t, []string{`device: office.yaml:17: kiosks[0].buttons[2].pin: GPIO14 (pin 8) is the serial port's TXD0: taken from the serial console if that is on (raspi-config: Interface Options, Serial Port, to turn it off); gpio: {allow: [uart]} (the pin alone: gpio: {allow: [GPIO14]}) says it is meant, and this warning goes`}, warned)
	require.Equal(t, strings.Join([]string{
		`device: office.yaml:7: counters[0].buttons.recall: GPIO2 (pin 3) is I2C SDA1, kept free for I2C; if nothing uses it, allow it in the configuration with gpio: {allow: [i2c]} (the pin alone: gpio: {allow: [GPIO2]})`,
		`device: office.yaml:8: counters[0].buttons.noshow: GPIO5 (pin 29) is already used by counters[0].buttons.next on line 6`,
		`device: office.yaml:9: counters[0].buttons.done: 5V is a power pin (5V (pin 2)), not a GPIO`,
		`device: office.yaml:10: counters[0].lamp: GPIO0 (pin 27) is the HAT ID EEPROM bus ID_SD, kept free for the HAT ID EEPROM bus; if nothing uses it, allow it in the configuration with gpio: {allow: [id_eeprom]} (the pin alone: gpio: {allow: [GPIO0]})`,
		`device: office.yaml:11: counters[1].buttons.next: "GPIO41" is not a pin of the Raspberry Pi 40-pin header; use a GPIO name such as GPIO17, or P1_11 for physical pin 11`,
		`device: office.yaml:11: counters[1].buttons.recall: GND is a ground pin (GND (pin 6)), not a GPIO`,
		`device: office.yaml:15: kiosks[0].buttons[0].lamp: GPIO17 (pin 11) is already used by kiosks[0].buttons[0].pin on line 15`,
		`device: office.yaml:16: kiosks[0].buttons[1].pin: GPIO3 (pin 5) is I2C SCL1, kept free for I2C; if nothing uses it, allow it in the configuration with gpio: {allow: [i2c]} (the pin alone: gpio: {allow: [GPIO3]})`,
		`device: office.yaml:18: kiosks[0].buzzer: GPIO1 (pin 28) is the HAT ID EEPROM bus ID_SC, kept free for the HAT ID EEPROM bus; if nothing uses it, allow it in the configuration with gpio: {allow: [id_eeprom]} (the pin alone: gpio: {allow: [GPIO1]})`,
	}, "\n"), err.Error())

	var pe *device.PinError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "GPIO2", pe.Pin)
	require.Equal(t, 7, pe.Line)

	// Allowing I2C, the serial port and one ID EEPROM pin leaves the rest.
	warned = nil
	err = rpi(t).Check("office.yaml", uses, &device.PinCheckOpts{Allow: []string{"i2c", "uart", "GPIO1"}, Warn: func(e *device.PinError) { warned = append(warned, e.Error()) }})
	require.Len(t, err.(device.PinErrors), 6)
	require.Empty(t, warned)
	require.NotContains(t, err.Error(), "GPIO2")
	require.NotContains(t, err.Error(), "GPIO1 ")
	require.Contains(t, err.Error(), "GPIO0")

	_, err = device.PinUses([]byte("counters: [\n"))
	require.Error(t, err)
}

func TestParsePinMapErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		msg  string
	}{
		{"syntax", "board: x\npins: [\n", "device: bad.yaml: yaml: line 2: did not find expected node content"},
		{"unknown field", "board: x\npins:\n  - {pin: 1, name: 3V3, kind: power, volts: 3.3}\n",
			"device: bad.yaml: yaml: unmarshal errors:\n  line 3: field volts not found in type device.HeaderPin"},
		{"no board", "pins:\n  - {pin: 1, name: 3V3, kind: power}\n", "device: bad.yaml:1: no board name"},
		{"no pins", "board: x\n", "device: bad.yaml:1: no pins"},
		{"pin twice", "board: x\npins:\n  - {pin: 1, name: 3V3, kind: power}\n  - {pin: 2, name: GPIO2, kind: i2c}\n  - {pin: 1, name: GPIO3, kind: gpio}\n",
			"device: bad.yaml:5: pin 1 is listed twice (also on line 3)"},
		{"gpio twice", "board: x\npins:\n  - {pin: 1, name: GPIO4, kind: gpio}\n  - {pin: 2, name: GPIO4, kind: gpio}\n",
			"device: bad.yaml:4: GPIO4 is on pin 2 and on pin 1 (line 3)"},
		{"kind", "board: x\npins:\n  - {pin: 1, name: GPIO4, kind: pwm}\n", `device: bad.yaml:3: pin 1: unknown kind "pwm" (want gpio, power, ground, i2c, id_eeprom or uart)`},
		{"gpio name", "board: x\npins:\n  - {pin: 7, name: BCM4, kind: gpio}\n", `device: bad.yaml:3: pin 7: a gpio pin is named like GPIO17, got "BCM4"`},
		{"pin zero", "board: x\npins:\n  - {pin: 0, name: GND, kind: ground}\n", "device: bad.yaml:3: pin number 0: header pins count from 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := device.ParsePinMap("bad.yaml", []byte(tt.yaml))
			require.Nil(t, m)
			require.ErrorIs(t, err, device.ErrPinMap)
			require.EqualError(t, err, tt.msg)
		})
	}
}

// FuzzPinUses: any configuration bytes give pin uses or an error, and
// checking them never panics.
func FuzzPinUses(f *testing.F) {
	f.Add([]byte(office))
	f.Add([]byte("counters: &a [*a]"))
	f.Add([]byte("kiosks:\n  - buttons:\n      - pin: [GPIO1]\n"))
	b, err := firmwareconfig.PinMap("rpi-40pin")
	if err != nil {
		f.Fatal(err)
	}
	m, err := device.ParsePinMap("rpi-40pin.yaml", b)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		uses, err := device.PinUses(b)
		if err != nil {
			return
		}
		_ = m.Check("fuzz.yaml", uses, nil)
	})
}

func TestPinUsesAliases(t *testing.T) {
	// Aliases are followed: a kiosk layout shared by anchors still counts.
	uses, err := device.PinUses([]byte("x: &b {service: social, pin: GPIO17}\nkiosks:\n  - buttons: [*b]\n  - buttons: [*b]\n"))
	require.NoError(t, err)
	require.Equal(t, []device.PinUse{{Pin: "GPIO17", Field: "kiosks[0].buttons[0].pin", Line: 1}, {Pin: "GPIO17", Field: "kiosks[1].buttons[0].pin", Line: 1}}, uses)

	// A billion laughs is refused, not walked.
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		doc += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(i-1)+", ", 9) + "*" + string(i-1) + "]\n"
	}
	_, err = device.PinUses([]byte(doc))
	require.ErrorContains(t, err, "more than 100000 YAML nodes")
}

// A merge key (<<) brings its pins in under the mapping that merges it,
// unless the mapping has the key itself, as YAML decoding does.
func TestPinUsesMergeKeys(t *testing.T) {
	doc := "d: &d {lamp: GPIO3, buttons: {next: GPIO5}}\n" +
		"counters:\n" +
		"  - {id: \"1\", <<: *d}\n" +
		"  - {id: \"2\", lamp: GPIO4, <<: [*d]}\n" +
		"  - {id: \"3\", buttons: {<<: {next: P1_6}}}\n"
	uses, err := device.PinUses([]byte(doc))
	require.NoError(t, err)
	var got []string
	for _, u := range uses {
		got = append(got, u.Field+"="+u.Pin)
	}
	require.ElementsMatch(t, []string{
		"counters[0].lamp=GPIO3", "counters[0].buttons.next=GPIO5",
		"counters[1].lamp=GPIO4", "counters[1].buttons.next=GPIO5",
		"counters[2].buttons.next=P1_6",
	}, got)
}
