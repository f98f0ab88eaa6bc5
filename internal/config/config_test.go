package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
)

func TestBundledOfficesAreValid(t *testing.T) {
	for _, name := range []string{"default", "round-the-clock"} {
		t.Run(name, func(t *testing.T) {
			c, err := firmwareconfig.Example(name)
			require.NoError(t, err)
			require.Equal(t, "demo", c.Site)
			require.Len(t, c.Counters, 13)
			require.Equal(t, "А", c.Service("social").Prefix)
			require.Equal(t, "П", c.Service("pension").Prefix)
			require.Equal(t, "Ц", c.Service("employment").Prefix)
			require.Equal(t, "Europe/Kyiv", c.Office.Timezone)
			require.Equal(t, "epson-tm-t20", c.Kiosk("k1").Profile)
		})
	}
	def := firmwareconfig.Default()
	require.Equal(t, "09:00-16:00", def.Office.Hours["fri"])
	require.Equal(t, []string{"pension"}, def.Counter("10").Services)
}

func TestParseErrorsNameTheField(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, from, to, field string
	}{
		{"duplicate prefix", `prefix: "П"`, `prefix: "А"`, "services[1].prefix"},
		{"two kiosks on one printer", `kiosks:
  - id: k1`, `kiosks:
  - {id: k0, printer: "serial:/dev/ttyUSB0?baud=19200", profile: epson-tm-t20}
  - id: k1`, "kiosks[1].printer"},
		{"Latin prefix the voice cannot say", `prefix: "П"`, `prefix: "P"`, "services[1].prefix"},
		{"counter the voice cannot say", `{id: "2", services: [social]}`, `{id: "reception", services: [social]}`, "counters[1].id"},
		{"bad hours", `fri: "09:00-16:00"`, `fri: "16:00-09:00"`, "office.hours.fri"},
		{"unknown weekday", `sat: closed`, `sab: closed`, "office.hours.sab"},
		{"bad timezone", `timezone: Europe/Kyiv`, `timezone: Europe/Kiev2`, "office.timezone"},
		{"unknown service of a counter", `{id: "12", services: [pension]}`, `{id: "12", services: [jobs]}`, "counters[11].services[0]"},
		{"bad board mode", `board: {mode: awtrix,`, `board: {mode: neon,`, "counters[12].board.mode"},
		{"bad blink", `board_blink_s: 20`, `board_blink_s: -1`, "office.board_blink_s"},
		{"English announced first", `languages: [uk, en]`, `languages: [en, uk]`, "office.languages[0]"},
		{"a language twice", `languages: [uk, en]`, `languages: [uk, uk]`, "office.languages[1]"},
		{"pin used twice", `{service: pension, pin: GPIO27, lamp: GPIO24}`, `{service: pension, pin: GPIO17, lamp: GPIO24}`, "kiosks[0].buttons[1].pin"},
		// The first to open a serial device shuts the other out: the
		// printer would seem offline, its fix to check the cable.
		{"scanner on the printer's port", `printer: "serial:/dev/ttyUSB0?baud=19200"`, `printer: "serial:/dev/ttyUSB0?baud=19200"
    scanner: "serial:/dev/ttyUSB0?baud=9600"`, "kiosks[0].scanner"},
		{"printer on another kiosk's scanner", `kiosks:
  - id: k1`, `kiosks:
  - {id: k0, printer: "none", scanner: "serial:/dev/ttyUSB0"}
  - id: k1`, "kiosks[1].printer"},
		{"lamp on a button pin", `buzzer: GPIO18`, `buzzer: GPIO5`, "kiosks[0].buzzer"},
		// Texts go to boards, screens, counter boxes and printers: no
		// escape codes, no bidi overrides, no hidden characters.
		{"an escape in the office's name", `name: "Прозорий офіс соціальних послуг"`, `name: "Прозорий офіс\e[2J"`, "office.name"},
		{"a bidi override in an English name", `name_en: "Social Protection"`, `name_en: "Social \u202eProtection"`, "services[0].name_en"},
		{"a zero-width space in a name", `name: "Пенсійний фонд"`, `name: "Пенсійний\u200bфонд"`, "services[1].name"},
		{"a tab in the footer", `footer: "Очікуйте`, `footer: "\tОчікуйте`, "office.footer"},
		{"a matrix inside the office's topics", `prefix: "awtrix_{site}_13"`, `prefix: "qms/{site}/kiosk"`, "counters[12].board.awtrix.prefix"},
		{"a QR code of no host", `"https://cherga.local/t/{site}/{id}"`, `"https:///t/{id}"`, "office.status_url"},
		{"a QR code of a port alone", `"https://cherga.local/t/{site}/{id}"`, `"https://:80/{id}"`, "office.status_url"},
		{"a line separator in a name", `name: "Пенсійний фонд"`, `name: "Пенсійний\u2028фонд"`, "services[1].name"},
		{"a QR code that opens no page", `"https://cherga.local/t/{site}/{id}"`, `"javascript:alert(1)//{id}"`, "office.status_url"},
		{"a priority button of an unknown category", `{service: pension, pin: GPIO27, lamp: GPIO24}`, `{service: pension, pin: GPIO27, lamp: GPIO24, category: astronaut}`, "kiosks[0].buttons[1].category"},
		{"a Cyrillic category", `priority_categories: [disability, veteran]`, `priority_categories: [інвалідність, veteran]`, "office.priority_categories[0]"},
		{"a button whose tickets no counter calls", `services: [employment], board:`, `services: [pension], board:`, "kiosks[0].buttons[2].service"},
		{"bad counter kind", `{id: "2", services: [social]}`, `{id: "2", services: [social], kind: door}`, "counters[1].kind"},
		{"bad broker", `url: embedded`, `url: http://x`, "broker.url"},
		{"an account on the embedded broker", `url: embedded`, `url: embedded
  username: cherga
  password: secret`, "broker.username"},
		{"a scheme the client does not take", `url: embedded`, `url: mqtt+ws://broker:8883`, "broker.url"},
		{"a broker without a host", `url: embedded`, `url: "ssl://"`, "broker.url"},
		{"a certificate without its key", `url: embedded`, `url: ssl://broker:8883
  cert_file: /etc/cherga/cherga.crt`, "broker.key_file"},
		{"a key without its certificate", `url: embedded`, `url: ssl://broker:8883
  key_file: /etc/cherga/cherga.key`, "broker.cert_file"},
		{"a CA over plain TCP", `url: embedded`, `url: tcp://broker:1883
  ca_file: /etc/cherga/ca.pem`, "broker.ca_file"},
		{"a CA for the embedded broker", `url: embedded`, `url: embedded
  ca_file: /etc/cherga/ca.pem`, "broker.ca_file"},
		{"a CA by a relative path", `url: embedded`, `url: mqtts://broker:8883
  ca_file: ca.pem`, "broker.ca_file"},
		{"a bad appointment pattern", `long_press_ms: 2000`, "long_press_ms: 2000\n    appointment_codes: \"[A-Z\"", "kiosks[0].appointment_codes"},
		{"a copy on a scan without a scanner", `long_press_ms: 2000`, "long_press_ms: 2000\n    scan_print: true", "kiosks[0].scan_print"},
		{"status poll too fast", `long_press_ms: 2000`, `long_press_ms: 2000
    status_poll_ms: 10`, "kiosks[0].status_poll_ms"},
		{"status timeout too short", `long_press_ms: 2000`, `long_press_ms: 2000
    status_timeout_ms: 50`, "kiosks[0].status_timeout_ms"},
		{"status timeout too long", `long_press_ms: 2000`, `long_press_ms: 2000
    status_timeout_ms: 60000`, "kiosks[0].status_timeout_ms"},
		{"logo by a relative path", `long_press_ms: 2000`, `long_press_ms: 2000
    logo: logo.png`, "kiosks[0].logo"},
		{"two logos", `long_press_ms: 2000`, `long_press_ms: 2000
    logo: /etc/cherga/logo.png
    logo_nv: 1`, "kiosks[0].logo"},
		{"logo key out of range", `long_press_ms: 2000`, `long_press_ms: 2000
    logo_nv: 256`, "kiosks[0].logo_nv"},
		{"a printer model without a name", "\nkiosks:\n", "\nprinter_profiles:\n  - {columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}\nkiosks:\n", "printer_profiles[0].name"},
		{"a printer model of 10 columns", "\nkiosks:\n", "\nprinter_profiles:\n  - {name: star-tsp100, columns: 10, code_page: cp1251, code_tables: {cp1251: 46}}\nkiosks:\n", "printer_profiles[0]"},
		{"a printer model without the n of its page", "\nkiosks:\n", "\nprinter_profiles:\n  - {name: star-tsp100, columns: 48, code_page: cp1251, code_tables: {cp866: 17}}\nkiosks:\n", "printer_profiles[0]"},
		{"a printer model twice", "\nkiosks:\n", "\nprinter_profiles:\n  - {name: star-tsp100, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}\n  - {name: STAR-tsp100, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}\nkiosks:\n", "printer_profiles[1].name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tc.from, tc.to, 1)
			require.NotEqual(t, string(base), doc, "the test must change the document")
			_, err := config.Parse([]byte(doc))
			require.Error(t, err)
			require.True(t, errors.Is(err, config.ErrInvalid), "%v", err)
			var errs config.Errors
			require.True(t, errors.As(err, &errs))
			fields := []string{}
			for _, fe := range errs {
				fields = append(fields, fe.Field)
			}
			require.Contains(t, fields, tc.field, "%v", err)
		})
	}
}

// A prefix the voice cannot say is refused with the hint that fits what was
// typed: lower case is not blamed on the keyboard layout, nor a Latin
// look-alike on case.
func TestPrefixHintFitsTheMistake(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	tests := []struct {
		prefix, hint, not string
	}{
		{"а", `"а" is lower case: write "А"`, "Latin"},
		{"п", `"п" is lower case: write "П"`, "Latin"},
		{"P", `"P" (U+0050) is a Latin letter that looks like the Ukrainian "Р": type "Р" with the Ukrainian keyboard layout`, "lower case"},
		{"p", `"p" (U+0070) is a Latin letter that looks like the Ukrainian "р": type "Р" with the Ukrainian keyboard layout`, "lower case"},
		{"ПA", `"A" (U+0041) is a Latin letter that looks like the Ukrainian "А": type "А" with the Ukrainian keyboard layout`, "lower case"},
		{"Z", `"Z" is a Latin letter`, "looks like"},
		{"Ы", `"Ы" (U+042B) is not a letter of the Ukrainian alphabet`, "Latin"},
		{"1", `"1" is not a letter`, "Latin"},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			doc := strings.Replace(string(base), `prefix: "П"`, `prefix: "`+tc.prefix+`"`, 1)
			_, err := config.Parse([]byte(doc))
			var errs config.Errors
			require.ErrorAs(t, err, &errs)
			var msg string
			for _, fe := range errs {
				if fe.Field == "services[1].prefix" {
					msg = fe.Message
				}
			}
			require.Equal(t, "must be Ukrainian capital letters (А, Б, … Я), which the voice says; got "+strconv.Quote(tc.prefix)+": "+tc.hint, msg)
			require.NotContains(t, msg, tc.not)
		})
	}
}

func TestParseRefusesUnknownFieldsWithTheLine(t *testing.T) {
	_, err := config.Parse([]byte("site: demo\noffice:\n  name: x\n  timezon: Europe/Kyiv\n"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "line 4")
	require.Contains(t, err.Error(), "timezon")
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in       string
		from, to int
		bad      bool
	}{
		{"09:00-17:00", 540, 1020, false},
		{"00:00-24:00", 0, 1440, false},
		{"closed", 0, 0, false},
		{"", 0, 0, false},
		{"9-17", 0, 0, true},
		{"17:00-09:00", 0, 0, true},
		{"09:00-24:30", 0, 0, true},
		{"25:00-26:00", 0, 0, true},
		{"9:00-16:45", 540, 1005, false},
		// Only what it says: nothing after a time is dropped.
		{"09:00-13:00, 14:00-17:00", 0, 0, true},
		{"09:00-12:00 14:00-17:00", 0, 0, true},
		{"09:00-17:00 (обід 13:00-14:00)", 0, 0, true},
		{"9:00-16:45pm", 0, 0, true},
		{"09:00–17:00", 0, 0, true}, // an en dash
		{"9.00-17.00", 0, 0, true},
		{"09:0-17:00", 0, 0, true},
		{"+9:00-17:00", 0, 0, true},
	}
	for _, tc := range tests {
		from, to, err := config.ParseHours(tc.in)
		if tc.bad {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, []int{tc.from, tc.to}, []int{from, to}, tc.in)
	}
	_, _, err := config.ParseHours("09:00-13:00, 14:00-17:00")
	require.ErrorContains(t, err, "one range HH:MM-HH:MM a day")
	require.ErrorContains(t, err, "lunch break")
	_, _, err = config.ParseHours("09:00–17:00")
	require.ErrorContains(t, err, "with a hyphen (-)")
	// The whole range is shown, and what it should be.
	_, _, err = config.ParseHours("9-18")
	require.EqualError(t, err, `want HH:MM-HH:MM, such as 09:00-18:00, or closed, got "9-18": want HH:MM, got "9"`)
}

func FuzzParse(f *testing.F) {
	base, _ := firmwareconfig.Raw("default.yaml")
	f.Add(base)
	f.Add([]byte("site: [\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := config.Parse(b)
		if err == nil {
			require.NoError(t, c.Validate(), "a parsed config is valid")
		}
	})
}

// A service closed every day (hours: {}) stays closed through JSON, as
// config.set patches and the stored versions carry it; one without hours
// keeps the office's.
func TestClosedServiceHoursSurviveJSON(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Services[2].Hours = map[string]string{}
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	var back config.Config
	require.NoError(t, json.Unmarshal(b, &back))
	from, to := back.HoursOf(&back.Services[2], "mon")
	require.Equal(t, from, to, "closed")
	from, to = back.HoursOf(&back.Services[0], "mon")
	require.Less(t, from, to, "the office's hours")
}

// Two counters on one AWTRIX matrix are named (a change is refused; a
// configuration recorded before still starts).
func TestSharedMatrix(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	doc := strings.Replace(string(base), `{id: "12", services: [pension]}`, `{id: "12", services: [pension], board: {mode: awtrix, awtrix: {prefix: awtrix_demo_13}}}`, 1)
	cfg, err := config.Parse([]byte(doc))
	require.NoError(t, err, "it validates")
	var fe *config.FieldError
	require.ErrorAs(t, cfg.SharedMatrix(), &fe)
	require.Equal(t, "counters[12].board.awtrix.prefix", fe.Field, "awtrix_{site}_13 of site demo is awtrix_demo_13")
	def, err := config.Parse(base)
	require.NoError(t, err)
	require.NoError(t, def.SharedMatrix())

	// Under another site, {site} is that site.
	cfg.Site = "kyiv-3"
	require.NoError(t, cfg.SharedMatrix())
	require.Equal(t, "awtrix_kyiv-3_13", cfg.Board(cfg.Counter("13")).Awtrix.Prefix)
	require.Equal(t, "awtrix_{site}_13", cfg.Counter("13").Board.Awtrix.Prefix, "the file's, as it was")
}

// A broker URL's password is never shown: in logs (RedactURL) nor in the
// configuration's JSON, as the password field is not.
func TestBrokerURLRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"embedded":                            "embedded",
		"tcp://127.0.0.1:1883":                "tcp://127.0.0.1:1883",
		"tcp://cherga@127.0.0.1:1883":         "tcp://cherga@127.0.0.1:1883",
		"tcp://cherga:s3cret@10.0.0.5:1883":   "tcp://cherga:xxxxx@10.0.0.5:1883",
		"ssl://a:b@broker.local:8883":         "ssl://a:xxxxx@broker.local:8883",
		"tcp://[bad":                          "tcp://[bad",
		"tcp://cherga:pa/ss@10.0.0.5:1883":    "tcp://cherga:xxxxx@10.0.0.5:1883",
		"tcp://cherga:pa ss@10.0.0.5:1883":    "tcp://cherga:xxxxx@10.0.0.5:1883",
		"tcp://cherga:Kx9!@#Qz@10.0.0.5:1883": "tcp://cherga:xxxxx@10.0.0.5:1883",
	} {
		require.Equal(t, want, config.RedactURL(in), in)
	}
	b, err := json.Marshal(config.Broker{URL: "tcp://cherga:s3cret@10.0.0.5:1883", Username: "cherga", Password: "s3cret"})
	require.NoError(t, err)
	require.JSONEq(t, `{"url":"tcp://cherga:xxxxx@10.0.0.5:1883","username":"cherga"}`, string(b))
}

// Every scheme the MQTT client takes is taken: plain and over TLS.
func TestBrokerSchemes(t *testing.T) {
	c, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	for _, u := range []string{"tcp://b:1883", "mqtt://b:1883", "ssl://b:8883", "tls://b:8883", "mqtts://b:8883", "tcps://b:8883"} {
		c.Broker = config.Broker{URL: u}
		require.NoError(t, c.Validate(), u)
		require.NoError(t, config.CheckBrokerURL(u), u)
	}
	c.Broker = config.Broker{URL: "mqtts://b:8883", CAFile: "/etc/cherga/ca.pem", CertFile: "/etc/cherga/c.crt", KeyFile: "/etc/cherga/c.key"}
	require.NoError(t, c.Validate(), "TLS files over TLS")
	require.True(t, config.IsTLS("mqtts://b:8883"))
	require.False(t, config.IsTLS("mqtt://b:1883"))
}

// Load gives each wrong field its line in the file: a pin used twice
// under the same name too (the pin map check gives the line of the second
// spelling), and a field left out is found by the item around it.
func TestLoadErrorsGiveTheLine(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, from, to, mark, want string
	}{
		{"pin used twice", `noshow: GPIO13`, `noshow: GPIO5`, `noshow: GPIO5`, `counters[0] (id "1").buttons.noshow: pin GPIO5 is already used by counters[0].buttons.next`},
		{"a kiosk pin used twice", `{service: pension, pin: GPIO27, lamp: GPIO24}`, `{service: pension, pin: GPIO17, lamp: GPIO24}`, `{service: pension, pin: GPIO17`, `kiosks[0] (id "k1").buttons[1].pin`},
		{"bad hours", `fri: "09:00-16:00"`, `fri: "16:00-09:00"`, `fri: "16:00-09:00"`, "office.hours.fri"},
		{"press interval", `long_press_ms: 2000`, "long_press_ms: 2000\n    press_interval_ms: 10", "press_interval_ms: 10", `kiosks[0] (id "k1").press_interval_ms: must be 0 (2000 ms) or 500..60000 ms, got 10`},
		{"debounce", "# gpio:\n#   board: rpi-40pin", "gpio:\n  debounce_ms: 1000", "debounce_ms: 1000", "gpio.debounce_ms: must be 0 (30 ms) or 5..200 ms, got 1000"},
		// A service's name left out: the line of its item.
		{"a field left out", `name: "Пенсійний фонд"`, ``, `- id: pension`, `services[1] (id "pension").name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tc.from, tc.to, 1)
			require.NotEqual(t, string(base), doc, "the test must change the document")
			before, _, ok := strings.Cut(doc, tc.mark)
			require.True(t, ok)
			line := strings.Count(before, "\n") + 1
			path := filepath.Join(t.TempDir(), "office.yaml")
			require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
			_, err := config.Load(path)
			require.ErrorContains(t, err, fmt.Sprintf("office.yaml: config: line %d: %s", line, tc.want))
		})
	}
}

// Load says which TLS file cannot be read, by its field; the files are
// paths, not secrets: the configuration's JSON shows them.
func TestBrokerFilesReadable(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte("x"), 0o644))
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	write := func(broker string) string {
		doc := strings.Replace(string(base), "url: embedded\n  listen: \"127.0.0.1:1883\"", broker, 1)
		require.NotEqual(t, string(base), doc)
		path := filepath.Join(dir, "office.yaml")
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
		return path
	}
	c, err := config.Load(write("url: mqtts://b:8883\n  ca_file: " + ca))
	require.NoError(t, err)
	b, err := json.Marshal(c.Broker)
	require.NoError(t, err)
	require.JSONEq(t, `{"url":"mqtts://b:8883","listen":"127.0.0.1:1883","ca_file":"`+ca+`"}`, string(b))

	_, err = config.Load(write("url: mqtts://b:8883\n  ca_file: " + ca + "\n  cert_file: " + filepath.Join(dir, "none.crt") + "\n  key_file: " + filepath.Join(dir, "none.key")))
	require.ErrorContains(t, err, "broker.cert_file: cannot be read")
	require.ErrorContains(t, err, "broker.key_file: cannot be read")
	require.True(t, errors.Is(err, config.ErrInvalid))
}

// Prefixes a citizen may misread (З003 as 3003) or mishear (И and Й are
// both Y in English) are warned of, not refused.
func TestPrefixWarnings(t *testing.T) {
	c, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	require.Empty(t, c.PrefixWarnings(), "А, П, Ц are clear")
	c.Services[0].Prefix, c.Services[1].Prefix, c.Services[2].Prefix = "З", "И", "Й"
	require.NoError(t, c.Validate())
	ws := c.PrefixWarnings()
	require.Len(t, ws, 2, "%q", ws)
	require.Contains(t, ws[0], `services[0] (id "social").prefix: З reads as the digit 3`)
	require.Contains(t, ws[1], `services[2] (id "employment").prefix: И and Й are both "Y"`)
	c.Services[0].Prefix = "Ь"
	require.Contains(t, c.PrefixWarnings()[0], `services[0] (id "social").prefix: Ь has no sound of its own`)
	// Letters that spell alike: Zh and ZH, Ts and TS, Ya and YA.
	for _, pair := range [][2]string{{"Ж", "ЗГ"}, {"Ц", "ТС"}, {"Я", "ЙА"}, {"Щ", "ШЧ"}} {
		c.Services[0].Prefix, c.Services[1].Prefix, c.Services[2].Prefix = pair[0], pair[1], "П"
		require.NoError(t, c.Validate())
		ws = c.PrefixWarnings()
		require.Len(t, ws, 1, "%v", pair)
		require.Contains(t, ws[0], fmt.Sprintf(`services[1] (id "pension").prefix: %s and %s are both`, pair[0], pair[1]))
	}
	// Letters whose names sound alike: «ге» and «ґе», «ша» and «ща».
	for _, pair := range [][2]string{{"Г", "Ґ"}, {"Ш", "Щ"}, {"Е", "Є"}, {"І", "Ї"}, {"ПГ", "ПҐ"}} {
		c.Services[0].Prefix, c.Services[1].Prefix, c.Services[2].Prefix = pair[0], pair[1], "П"
		require.NoError(t, c.Validate())
		ws = c.PrefixWarnings()
		require.Len(t, ws, 1, "%v: %q", pair, ws)
		require.Contains(t, ws[0], fmt.Sprintf(`services[1] (id "pension").prefix: %s and %s sound alike`, pair[0], pair[1]))
	}
	c.Services[0].Prefix, c.Services[1].Prefix = "Ч", "А"
	require.Contains(t, c.PrefixWarnings()[0], "Ч reads as the digit 4")
}

// A document without counters calls nobody: a restart on it would send
// every waiting citizen home. Refused, naming counters, and the buttons
// whose service then has no counter.
func TestNoCountersIsRefused(t *testing.T) {
	c := firmwareconfig.Default()
	require.NoError(t, c.Validate())
	c.Counters = nil
	err := c.Validate()
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	fields := map[string]string{}
	for _, fe := range errs {
		fields[fe.Field] = fe.Message
	}
	require.Contains(t, fields, "counters", "%v", err)
	require.Contains(t, fields["counters"], "at least one counter is required")
	require.Contains(t, fields["kiosks[0].buttons[0].service"], "no counter serves")
}

// A service that no counter serves and no button offers may stay (a
// counter to come back, transfers refused until then); a button offering
// it may not.
func TestServiceWithoutCounter(t *testing.T) {
	c := firmwareconfig.Default()
	c.Services = append(c.Services, config.Service{ID: "archive", Name: "Архів", Prefix: "Р", Width: 3})
	require.NoError(t, c.Validate())
	c.Kiosks[0].Buttons[0].Service = "archive"
	var errs config.Errors
	require.ErrorAs(t, c.Validate(), &errs)
	require.Equal(t, "kiosks[0].buttons[0].service", errs[0].Field)
	require.Contains(t, errs[0].Message, `no counter serves "archive"`)
}

// A field of a counter, service or kiosk is named in the message with the
// item's id, which an administrator looks for in the file (the index counts
// from 0); Field stays the path a program reads.
func TestFieldErrorsNameTheID(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	doc := strings.Replace(string(base), `{id: "12", services: [pension]`, `{id: "12", services: [pensoin]`, 1)
	doc = strings.Replace(doc, `prefix: "П"`, `prefix: "P"`, 1)
	doc = strings.Replace(doc, `long_press_ms: 2000`, `long_press_ms: 20`, 1)
	_, err = config.Parse([]byte(doc))
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	byField := map[string]string{}
	for _, fe := range errs {
		byField[fe.Field] = fe.Error()
	}
	require.Contains(t, byField, "counters[11].services[0]", "%v", err)
	require.Equal(t, `config: counters[11] (id "12").services[0]: unknown service "pensoin"`, byField["counters[11].services[0]"])
	require.Contains(t, byField["services[1].prefix"], `config: services[1] (id "pension").prefix: `)
	require.Contains(t, byField["kiosks[0].long_press_ms"], `config: kiosks[0] (id "k1").long_press_ms: `)

	// The id itself, when it is at fault, is said by its message alone.
	c := firmwareconfig.Default()
	c.Counters[1].ID = "1"
	require.ErrorAs(t, c.Validate(), &errs)
	require.Equal(t, `config: counters[1].id: "1" is used twice`, errs[0].Error())
}

// A status URL without {id} is refused when a kiosk has a scanner, which
// tells a scanned ticket by it (the kiosk could not start), and taken
// without one.
func TestStatusURLForAScanner(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	doc := strings.Replace(string(base), `"https://cherga.local/t/{site}/{id}"`, `"https://cherga.local/t/{site}/{ticket}"`, 1)
	_, err = config.Parse([]byte(doc))
	require.NoError(t, err, "no scanner")
	doc = strings.Replace(doc, "long_press_ms: 2000", "long_press_ms: 2000\n    scanner: serial:/dev/ttyACM0", 1)
	_, err = config.Parse([]byte(doc))
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	require.Len(t, errs, 1)
	require.Equal(t, "office.status_url", errs[0].Field)
	require.Contains(t, errs[0].Message, "kiosk k1")
}

// A status URL is a web address in any case of its scheme, its
// placeholders anywhere.
func TestStatusURLIsAWebAddress(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	for _, u := range []string{"HTTPS://Cherga.Example/t/{site}/{id}", "http://192.168.1.5:8080/q?t={ticket}&id={id}", "https://{site}.cherga.example/{id}"} {
		doc := strings.Replace(string(base), `"https://cherga.local/t/{site}/{id}"`, `"`+u+`"`, 1)
		_, err := config.Parse([]byte(doc))
		require.NoError(t, err, u)
	}
}

// NextOpening is the start of the next day's hours that are not over,
// skipping closed days and holidays, across midnight and a change of
// daylight saving time; nothing a week or more away.
func TestNextOpening(t *testing.T) {
	cfg := firmwareconfig.Default() // mon-thu 09:00-17:00, fri 09:00-16:00
	cfg.Office.Holidays = []string{"2026-11-24"}
	wed := &config.Service{ID: "wed", Hours: map[string]string{"wed": "10:00-14:00"}}
	never := &config.Service{ID: "never", Hours: map[string]string{}}
	kyiv := cfg.Location()
	at := func(month time.Month, day, h, m int) time.Time { return time.Date(2026, month, day, h, m, 0, 0, kyiv) }
	tests := []struct {
		name string
		svc  *config.Service
		now  time.Time
		want time.Time // zero: none
	}{
		{"before opening, today", nil, at(11, 23, 7, 30), at(11, 23, 9, 0)},
		{"at midnight", nil, at(11, 23, 0, 0), at(11, 23, 9, 0)},
		{"just before midnight", nil, time.Date(2026, 11, 25, 23, 59, 59, 0, kyiv), at(11, 26, 9, 0)},
		{"after closing, over a holiday", nil, at(11, 23, 17, 30), at(11, 25, 9, 0)},
		{"friday evening", nil, at(11, 27, 16, 30), at(11, 30, 9, 0)},
		{"saturday", nil, at(11, 28, 10, 0), at(11, 30, 9, 0)},
		{"while open: the next day's", nil, at(11, 25, 12, 0), at(11, 26, 9, 0)},
		{"over the end of summer time", nil, at(10, 23, 17, 0), at(10, 26, 9, 0)},
		{"a service's own hours, today", wed, at(11, 25, 9, 0), at(11, 25, 10, 0)},
		{"a service's own hours, a week on", wed, at(11, 25, 14, 30), at(12, 2, 10, 0)},
		{"exactly a week on", wed, at(11, 25, 10, 0), at(12, 2, 10, 0)},
		{"a service never open", never, at(11, 25, 9, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cfg.NextOpening(tt.svc, tt.now)
			require.Equal(t, !tt.want.IsZero(), ok)
			require.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
		})
	}
	got, _ := cfg.NextOpening(nil, at(10, 23, 17, 0))
	_, off := got.Zone()
	require.Equal(t, 2*60*60, off, "winter time on the Monday")

	// The next Wednesday a holiday: more than a week away, so nothing.
	cfg.Office.Holidays = append(cfg.Office.Holidays, "2026-12-02")
	_, ok := cfg.NextOpening(wed, at(11, 25, 14, 30))
	require.False(t, ok)
}

// A version a newer cherga recorded (run again after a rollback) is read
// without the settings this one does not know, which are named; whatever
// else is wrong with it is still refused.
func TestParseRecordedLeavesOutUnknown(t *testing.T) {
	for _, name := range []string{"default", "round-the-clock"} {
		c, err := firmwareconfig.Example(name)
		require.NoError(t, err)
		c.Office.RecallLimit = 5
		b, err := json.Marshal(c)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		doc["future"] = true
		doc["office"].(map[string]any)["announce_style"] = "calm"
		doc["kiosks"].([]any)[0].(map[string]any)["paper_saving"] = true
		doc["services"].([]any)[1].(map[string]any)["icon"] = map[string]any{"name": "x"}
		newer, err := json.Marshal(doc)
		require.NoError(t, err)
		_, err = config.Parse(newer)
		require.Error(t, err, "strict, as a file is read")

		got, unknown, err := config.ParseRecorded(newer)
		require.NoError(t, err, name)
		require.Equal(t, []string{"future", "kiosks[0].paper_saving", "office.announce_style", "services[1].icon"}, unknown, name)
		require.Equal(t, 5, got.Office.RecallLimit, "the rest as recorded")
		require.Equal(t, c.Services, got.Services)

		got, unknown, err = config.ParseRecorded(b)
		require.NoError(t, err)
		require.Nil(t, unknown)
		require.Equal(t, 5, got.Office.RecallLimit)

		doc["office"].(map[string]any)["recall_limit"] = -3
		bad, err := json.Marshal(doc)
		require.NoError(t, err)
		_, _, err = config.ParseRecorded(bad)
		require.ErrorContains(t, err, "recall_limit")
	}
}
