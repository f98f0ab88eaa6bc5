package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/printer"
)

// schemaFile is the JSON Schema of the configuration file, which editors
// use to complete and check office.yaml as it is typed. It is generated
// from the Go types (their fields and doc comments) and schemaRules, and
// recorded: after changing either, run
// go test ./internal/config -run TestSchema -args -update.
const schemaFile = "../../firmware-config/cherga.schema.json"

// The schema's patterns are in the part of regular-expression syntax that
// ECMA-262 (editors) and RE2 (this test) read alike.
var (
	idPattern = `^[A-Za-z0-9_-]{1,32}$`
	clock     = `(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)`
	hours     = `^\s*(closed|` + clock + `\s*-\s*` + clock + `)?\s*$`
	// A duration as Go's time.ParseDuration takes it ("500ms", "1.5s").
	duration = `(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)`
	absolute = `^/`
)

// caseless is a pattern that matches s in any case, as EqualFold does:
// ECMA-262 patterns have no (?i).
func caseless(words ...string) string {
	var alts []string
	for _, w := range words {
		var b strings.Builder
		for _, r := range w {
			if up, low := strings.ToUpper(string(r)), strings.ToLower(string(r)); up != low {
				b.WriteString("[" + up + low + "]")
			} else {
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		alts = append(alts, b.String())
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}

// yaml11Bools are the words go.yaml.in/yaml/v3 decodes into a bool
// besides true and false.
var yaml11Bools = []any{"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}

// zeroOr is an integer that is 0 (a default) or within lo..hi.
func zeroOr(lo, hi int) obj {
	return obj{{"anyOf", []obj{{{"const", 0}}, {{"minimum", lo}, {"maximum", hi}}}}}
}

func pattern(p string) obj        { return obj{{"pattern", p}} }
func between(lo, hi float64) obj  { return obj{{"minimum", lo}, {"maximum", hi}} }
func deflt(v any) obj             { return obj{{"default", v}} }
func enum[T any](values ...T) obj { return obj{{"enum", values}} }
func join(parts ...obj) (all obj) {
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// schemaRules are what Validate (and display's and printer's) require of
// a field beyond its type, keyed by its path in the file: "services[]"
// is an item of the list, "office.hours.*" a value of the map.
// TestSchemaAgreesWithParse checks them against Parse.
var schemaRules = map[string]obj{
	"":                                   {{"required", []string{"site", "office", "services", "counters"}}},
	"site":                               pattern(idPattern),
	"office":                             {{"required", []string{"name", "timezone"}}},
	"office.name":                        {{"minLength", 1}},
	"office.timezone":                    {{"minLength", 1}, {"examples", []string{"Europe/Kyiv"}}},
	"office.hours":                       {{"propertyNames", enum(config.Weekdays...)}},
	"office.hours.*":                     pattern(hours),
	"office.languages":                   {{"items", []obj{{{"const", audio.Langs[0]}}}}, {"additionalItems", enum(audio.Langs...)}, {"uniqueItems", true}, {"default", audio.Langs}},
	"office.hall_size":                   join(between(0, 50), deflt(8)),
	"office.board_blink_s":               between(0, 600),
	"office.holidays[]":                  pattern(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`),
	"office.recall_limit":                join(between(0, 20), deflt(3)),
	"office.noshow_grace_min":            between(0, 240),
	"office.next_guard_s":                join(between(-1, 120), deflt(10)),
	"office.priority_categories[]":       pattern(idPattern),
	"office.stats_days":                  join(between(0, 3660), deflt(90)),
	"services":                           {{"minItems", 1}},
	"services[]":                         {{"required", []string{"id", "name", "prefix"}}},
	"services[].id":                      pattern(idPattern),
	"services[].name":                    {{"minLength", 1}},
	"services[].prefix":                  pattern(`^[АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ]{1,2}$`),
	"services[].width":                   join(between(0, 4), deflt(3)),
	"services[].avg_service_min":         join(between(0, 480), deflt(10)),
	"services[].hours":                   {{"propertyNames", enum(config.Weekdays...)}},
	"services[].hours.*":                 pattern(hours),
	"services[].sequence":                pattern(`^([A-Za-z0-9_-]{1,32})?$`),
	"services[].daily_cap":               {{"minimum", 0}},
	"services[].booking":                 {{"required", []string{"slot_min"}}},
	"services[].booking.slot_min":        between(5, 240),
	"services[].booking.per_slot":        join(zeroOr(1, 50), deflt(1)),
	"services[].booking.days_ahead":      join(zeroOr(1, 366), deflt(30)),
	"counters":                           {{"minItems", 1}},
	"counters[]":                         {{"required", []string{"id", "services"}}},
	"counters[].id":                      {{"pattern", `^[1-9][0-9]{0,3}$`}, {"minimum", 1}, {"maximum", 9999}, {"multipleOf", 1}}, // unquoted, a number
	"counters[].services":                {{"minItems", 1}},
	"counters[].kind":                    join(enum("window", "cabinet"), deflt("window")),
	"counters[].buttons":                 {{"propertyNames", enum(config.CounterActions...)}},
	"counters[].weights.*":               {{"exclusiveMinimum", 0}, {"maximum", 100}},
	"counters[].board.mode":              enum("json", "text", "awtrix"),
	"counters[].board.text.charset":      pattern(caseless(display.Charsets...)),
	"counters[].board.awtrix.blink":      {{"pattern", `^[-+]?` + duration + "$"}},
	"counters[].board.awtrix.notify":     {{"pattern", `^[-+]?` + duration + "$"}},
	"kiosks[]":                           {{"required", []string{"id"}}},
	"kiosks[].id":                        pattern(idPattern),
	"kiosks[].printer":                   join(deflt("none"), obj{{"examples", []string{"serial:/dev/ttyUSB0?baud=19200", "/dev/usb/lp0", "tcp://192.168.1.50:9100", "none"}}}),
	"kiosks[].profile":                   join(deflt("generic"), obj{{"examples", profileNames()}}),
	"kiosks[].buttons[]":                 {{"required", []string{"service"}}},
	"kiosks[].long_press_ms":             zeroOr(500, 10000),
	"kiosks[].press_interval_ms":         zeroOr(500, 60000),
	"kiosks[].presses_per_minute":        between(0, 6000),
	"kiosks[].status_poll_ms":            zeroOr(100, 3600000),
	"kiosks[].status_timeout_ms":         zeroOr(100, 5000),
	"kiosks[].logo":                      pattern(absolute),
	"kiosks[].logo_nv":                   between(0, 255),
	"gpio.board":                         join(deflt("rpi-40pin"), obj{{"examples", firmwareconfig.PinMaps()}}),
	"gpio.debounce_ms":                   zeroOr(5, 200),
	"broker.url":                         join(pattern(`^(embedded|(`+strings.Join(append(slices.Clone(config.PlainSchemes), config.TLSSchemes...), "|")+`)://.+)$`), deflt("embedded")),
	"broker.listen":                      deflt("127.0.0.1:1883"),
	"broker.ca_file":                     pattern(absolute),
	"broker.cert_file":                   pattern(absolute),
	"broker.key_file":                    pattern(absolute),
	"printer_profiles[]":                 {{"required", []string{"name", "columns", "code_page", "code_tables"}}},
	"printer_profiles[].name":            {{"minLength", 1}},
	"printer_profiles[].columns":         between(16, 96),
	"printer_profiles[].code_page":       pattern(caseless(printer.CodePages()...)),
	"printer_profiles[].code_tables":     {{"propertyNames", pattern(caseless(printer.CodePages()...))}},
	"printer_profiles[].qr_module":       between(0, 16),
	"printer_profiles[].feed_before_cut": between(0, 255),
	"printer_profiles[].label_scale":     zeroOr(2, 8),
	"db":                                 deflt("cherga.db"),
}

// profileNames are the printer models a kiosk may name without a profile
// of the office's own: the built-in ones and printers.yaml's.
func profileNames() []string {
	names := printer.Profiles()
	more, err := printer.ParseProfiles(firmwareconfig.PrinterProfiles())
	if err != nil {
		panic(err) // firmware-config's tests read the file
	}
	for _, p := range more {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// awtrixRules hold only for a board in awtrix mode: Validate does not
// look at its awtrix settings otherwise.
var awtrixRules = func() obj {
	colors := obj{}
	for _, c := range []string{"calling", "serving", "idle", "closed", "paused", "alert"} {
		colors = append(colors, kv{c + "_color", pattern(`^(#[0-9A-Fa-f]{6})?$`)})
	}
	awtrix := obj{
		{"required", []string{"prefix"}},
		{"properties", append(obj{
			{"prefix", pattern(`^([A-Za-z0-9_-]|\{site\})+(/([A-Za-z0-9_-]|\{site\})+)*$`)},
			{"app", pattern(`^([A-Za-z0-9_]{1,32})?$`)},
			// A duration that is not negative, as text or nanoseconds.
			{"blink", obj{{"not", pattern(`^-`)}, {"minimum", 0}}},
		}, colors...)},
	}
	isAwtrix := obj{{"properties", obj{{"mode", obj{{"const", "awtrix"}}}}}, {"required", []string{"mode"}}}
	return obj{
		{"if", isAwtrix},
		{"then", obj{{"required", []string{"awtrix"}}, {"properties", obj{{"awtrix", awtrix}}}}},
	}
}()

// obj is a JSON object that keeps its keys in order: the schema's
// properties read in the order of the Go fields, as the files have them.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without escaping <, > and &.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// set is o with key k set to v, replacing an earlier value of k.
func (o obj) set(k string, v any) obj {
	for i := range o {
		if o[i].k == k {
			o[i].v = v
			return o
		}
	}
	return append(o, kv{k, v})
}

// schemaGen builds the schema of a Go type from its fields' yaml tags and
// doc comments.
type schemaGen struct {
	docs map[string]string // "pkgpath.Type.Field" → doc comment
	used map[string]bool   // the keys of schemaRules used
	goes []string          // descriptions that begin with the field's Go name
}

// readDocs reads the doc comments of the struct fields of the packages
// the configuration is made of.
func readDocs(t *testing.T) map[string]string {
	docs := map[string]string{}
	const module = "github.com/cherga/cherga"
	for _, pkg := range []string{"internal/config", "display", "printer"} {
		files, err := filepath.Glob(filepath.Join("../..", pkg, "*.go"))
		require.NoError(t, err)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return false
				}
				for _, fl := range st.Fields.List {
					for _, id := range fl.Names {
						if fl.Doc != nil {
							docs[module+"/"+pkg+"."+ts.Name.Name+"."+id.Name] = fl.Doc.Text()
						}
					}
				}
				return false
			})
		}
	}
	return docs
}

// description is a doc comment as one paragraph per paragraph, the Go
// name it starts with replaced by the key of the file.
func description(doc, goName, key string) string {
	var paras []string
	for p := range strings.SplitSeq(strings.TrimSpace(doc), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	d := strings.Join(paras, "\n\n")
	for _, after := range []string{" ", ", ", ": "} { // «Hours, when set, …», «ScanPrint: …»
		if rest, ok := strings.CutPrefix(d, goName+after); ok {
			return key + after + rest
		}
	}
	return d
}

func (g *schemaGen) rule(path string) obj {
	r, ok := schemaRules[path]
	if ok {
		g.used[path] = true
	}
	return r
}

func (g *schemaGen) of(t reflect.Type, path string) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var s obj
	switch {
	case t == reflect.TypeFor[time.Duration]():
		s = obj{{"type", "string"}} // the YAML decoder takes no number for one
	case t.Kind() == reflect.Struct:
		s = g.object(t, path)
	case t.Kind() == reflect.Slice:
		s = obj{{"type", "array"}, {"items", g.of(t.Elem(), path+"[]")}}
	case t.Kind() == reflect.Map:
		s = obj{{"type", "object"}, {"additionalProperties", g.of(t.Elem(), path+".*")}}
	case t.Kind() == reflect.String:
		// The YAML decoder takes any scalar for text: an unquoted
		// site: 2024 or id: 1 is the text "2024", "1". A pattern
		// checks text alone.
		s = obj{{"type", []string{"string", "number", "boolean"}}}
	case t.Kind() == reflect.Bool:
		// The YAML decoder also takes YAML 1.1's yes, no, on, off… for a
		// bool, which an editor reading YAML 1.2 takes for strings.
		s = obj{{"type", []string{"boolean", "string"}}, {"enum", append([]any{true, false}, yaml11Bools...)}}
	case t.Kind() == reflect.Float64:
		s = obj{{"type", "number"}}
	case t.Kind() == reflect.Uint8:
		s = obj{{"type", "integer"}, {"minimum", 0}, {"maximum", 255}}
	case t.Kind() == reflect.Int:
		s = obj{{"type", "integer"}}
	default:
		panic(fmt.Sprintf("%s: no schema for %s", path, t))
	}
	for _, e := range g.rule(path) {
		s = s.set(e.k, e.v)
	}
	return s
}

func (g *schemaGen) object(t reflect.Type, path string) obj {
	var props obj
	for f := range t.Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		fp := key
		if path != "" {
			fp = path + "." + key
		}
		p := g.of(f.Type, fp)
		doc := description(g.docs[t.PkgPath()+"."+t.Name()+"."+f.Name], f.Name, key)
		if rest, ok := strings.CutPrefix(doc, f.Name); ok && f.Name != key && !unicode.IsLetter([]rune(rest + ".")[0]) {
			g.goes = append(g.goes, fp+": "+doc) // an editor would show Go's name
		}
		props = append(props, kv{key, append(obj{{"description", doc}}, p...)})
	}
	s := obj{{"type", "object"}, {"properties", props}, {"additionalProperties", false}}
	if t == reflect.TypeFor[display.BoardOpts]() {
		s = append(s, awtrixRules...)
	}
	return s
}

// generateSchema is the schema of the configuration file.
func generateSchema(t *testing.T) []byte {
	g := &schemaGen{docs: readDocs(t), used: map[string]bool{}}
	root := g.of(reflect.TypeFor[config.Config](), "")
	require.Empty(t, g.goes, "descriptions that name a setting by its Go name: begin its doc comment with the name and a space, a comma or a colon")
	for path := range schemaRules {
		require.True(t, g.used[path], "schemaRules[%q] is no field of the configuration", path)
	}
	head := obj{
		{"$schema", "http://json-schema.org/draft-07/schema#"},
		{"$id", "https://github.com/cherga/cherga/firmware-config/cherga.schema.json"},
		{"title", "cherga office configuration"},
		{"description", "The configuration of one office (firmware-config/default.yaml), as cherga -config reads it and chergactl config.set takes it. Generated from the Go types of internal/config; cherga -check is the final word: it also checks what a schema cannot (a counter's services exist, pins are not used twice, closing is after opening). A key left empty is unset to cherga, but an editor marks it."},
	}
	b, err := json.MarshalIndent(append(head, root...), "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestSchema checks that firmware-config/cherga.schema.json is what the
// Go types and schemaRules give, and that every property says what it is.
func TestSchema(t *testing.T) {
	got := generateSchema(t)
	var undescribed []string
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for k, p := range props {
			p := p.(map[string]any)
			if p["description"] == "" {
				undescribed = append(undescribed, strings.TrimPrefix(path+"."+k, "."))
			}
			walk(path+"."+k, p)
		}
		for _, sub := range []string{"items", "additionalProperties"} {
			if m, ok := s[sub].(map[string]any); ok {
				walk(path+"[]", m)
			}
		}
	}
	var doc map[string]any
	require.NoError(t, json.Unmarshal(got, &doc))
	walk("", doc)
	slices.Sort(undescribed)
	require.Empty(t, undescribed, "give these fields' Go fields a doc comment")
	testkit.GoldenFile(t, schemaFile, got)
}

// compileSchema is the recorded schema, ready to validate documents.
func compileSchema(t *testing.T) *jsonschema.Schema {
	f, err := os.Open(schemaFile)
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("cherga.schema.json", doc))
	s, err := c.Compile("cherga.schema.json")
	require.NoError(t, err)
	return s
}

// fromYAML is a YAML document as the JSON value an editor's YAML support
// checks against the schema: YAML 1.2's core types, so that an unquoted
// 2026-01-01 is a string, as it is to cherga.
func fromYAML(t *testing.T, b []byte) any {
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal(b, &n))
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.DocumentNode:
			return conv(n.Content[0])
		case yaml.AliasNode:
			return conv(n.Alias)
		case yaml.SequenceNode:
			l := []any{}
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		}
		switch n.Tag {
		case "!!int", "!!float":
			return json.Number(n.Value)
		case "!!bool":
			return n.Value == "true"
		case "!!null":
			return nil
		}
		return n.Value
	}
	return conv(&n)
}

// TestSchemaTakesBundledOffices checks the bundled offices against the
// schema: an editor must not mark a file cherga runs.
func TestSchemaTakesBundledOffices(t *testing.T) {
	s := compileSchema(t)
	files, err := filepath.Glob("../../firmware-config/examples/*.yaml")
	require.NoError(t, err)
	for _, name := range append(files, "../../firmware-config/default.yaml") {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, s.Validate(fromYAML(t, b)), name)
		require.True(t, bytes.HasPrefix(b, []byte("# yaml-language-server: $schema=")), "%s: its first line names the schema for editors", name)
	}
}

// setAt sets the value at a path of a decoded document ("counters.0.kind"),
// making the objects on the way.
func setAt(doc any, path string, v any) {
	steps := strings.Split(path, ".")
	for i, step := range steps {
		last := i == len(steps)-1
		switch d := doc.(type) {
		case map[string]any:
			if last {
				d[step] = v
				return
			}
			if d[step] == nil {
				d[step] = map[string]any{}
			}
			doc = d[step]
		case []any:
			var n int
			fmt.Sscan(step, &n)
			if last {
				d[n] = v
				return
			}
			doc = d[n]
		default:
			panic(path)
		}
	}
}

// TestSchemaAgreesWithParse sets one field at a time of the default office
// to a value just within, or just outside, what cherga takes, and checks
// that the schema says the same as Parse. The schema may take more than
// Parse (it cannot see other fields: a counter's services that exist, a
// closing after its opening), but never less.
func TestSchemaAgreesWithParse(t *testing.T) {
	s := compileSchema(t)
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	type set struct {
		path string
		v    any
	}
	for _, tc := range []struct {
		sets []set
		ok   bool
	}{
		{[]set{{"site", "kyiv-3"}}, true},
		{[]set{{"site", "київ"}}, false},
		{[]set{{"site", ""}}, false},
		{[]set{{"site", strings.Repeat("a", 33)}}, false},
		{[]set{{"sitе", "demo"}}, false}, // a Cyrillic е: no such key
		{[]set{{"office.name", ""}}, false},
		{[]set{{"office.timezone", ""}}, false},
		{[]set{{"office.hours.mon", "9:00-17:00"}}, true},
		{[]set{{"office.hours.mon", " 08:30 - 24:00 "}}, true},
		{[]set{{"office.hours.mon", "closed"}}, true},
		{[]set{{"office.hours.mon", ""}}, true},
		{[]set{{"office.hours.mon", "09.00-17.00"}}, false},
		{[]set{{"office.hours.mon", "09:00–17:00"}}, false}, // an en dash
		{[]set{{"office.hours.mon", "09:00-25:00"}}, false},
		{[]set{{"office.hours.mon", "09:00-13:00,14:00-17:00"}}, false},
		{[]set{{"office.hours.monday", "09:00-17:00"}}, false},
		{[]set{{"office.languages", []any{"uk"}}}, true},
		{[]set{{"office.languages", []any{"en", "uk"}}}, false},
		{[]set{{"office.languages", []any{"uk", "uk"}}}, false},
		{[]set{{"office.languages", []any{"uk", "de"}}}, false},
		{[]set{{"office.hall_size", 50}}, true},
		{[]set{{"office.hall_size", 51}}, false},
		{[]set{{"office.hall_size", -1}}, false},
		{[]set{{"office.board_blink_s", 600}}, true},
		{[]set{{"office.board_blink_s", 601}}, false},
		{[]set{{"office.holidays", []any{"2026-12-25"}}}, true},
		{[]set{{"office.holidays", []any{"2026-13-01"}}}, false},
		{[]set{{"office.holidays", []any{"25.12.2026"}}}, false},
		{[]set{{"office.recall_limit", 20}}, true},
		{[]set{{"office.recall_limit", 21}}, false},
		{[]set{{"office.noshow_grace_min", 240}}, true},
		{[]set{{"office.noshow_grace_min", 240.5}}, false},
		{[]set{{"office.noshow_grace_min", -0.5}}, false},
		{[]set{{"office.next_guard_s", -1}}, true},
		{[]set{{"office.next_guard_s", -2}}, false},
		{[]set{{"office.next_guard_s", 121}}, false},
		{[]set{{"office.priority_categories", []any{"veteran", "ветеран"}}}, false},
		{[]set{{"office.stats_days", 3660}}, true},
		{[]set{{"office.stats_days", 3661}}, false},
		{[]set{{"office.refuse_late", "yes please"}}, false},
		{[]set{{"services", []any{}}}, false},
		{[]set{{"services.0.prefix", "Ґ"}}, true},
		{[]set{{"services.0.prefix", "ЖЇ"}}, true},
		{[]set{{"services.0.prefix", "A"}}, false}, // Latin
		{[]set{{"services.0.prefix", "а"}}, false},
		{[]set{{"services.0.prefix", "АБВ"}}, false},
		{[]set{{"services.0.prefix", "Ы"}}, false},
		{[]set{{"services.0.width", 4}}, true},
		{[]set{{"services.0.width", 5}}, false},
		{[]set{{"services.0.avg_service_min", 480}}, true},
		{[]set{{"services.0.avg_service_min", 481}}, false},
		{[]set{{"services.0.daily_cap", 0}}, true},
		{[]set{{"services.0.daily_cap", -1}}, false},
		{[]set{{"services.0.sequence", "front"}}, true},
		{[]set{{"services.0.sequence", "front desk"}}, false},
		{[]set{{"services.1.hours", map[string]any{}}}, true},
		{[]set{{"services.1.hours", map[string]any{"wed": "10:00-13:00"}}}, true},
		{[]set{{"services.1.hours", map[string]any{"wed": "10-13"}}}, false},
		{[]set{{"services.0.id", "соц"}}, false},
		{[]set{{"counters.0.id", "9999"}}, true},
		{[]set{{"counters.0.id", "10000"}}, false},
		{[]set{{"counters.0.id", "01"}}, false},
		{[]set{{"counters.0.id", 14}}, true}, // unquoted in the file
		{[]set{{"counters.0.id", 0}}, false},
		{[]set{{"counters.0.id", 10000}}, false},
		{[]set{{"site", 2024}}, true}, // the text "2024"
		{[]set{{"kiosks.0.id", 1}}, true},
		{[]set{{"office.name", true}}, true},
		{[]set{{"office.name", []any{"Офіс"}}}, false},
		{[]set{{"counters.0.kind", "cabinet"}}, true},
		{[]set{{"counters.0.kind", "office"}}, false},
		{[]set{{"counters.0.services", []any{}}}, false},
		{[]set{{"counters.0.buttons", map[string]any{"serve": "GPIO5"}}}, true},
		{[]set{{"counters.0.buttons", map[string]any{"call": "GPIO5"}}}, false},
		{[]set{{"counters.0.weights", map[string]any{"social": 100}}}, true},
		{[]set{{"counters.0.weights", map[string]any{"social": 0}}}, false},
		{[]set{{"counters.0.weights", map[string]any{"social": 100.5}}}, false},
		{[]set{{"counters.0.board.mode", "text"}}, true},
		{[]set{{"counters.0.board.mode", "led"}}, false},
		{[]set{{"counters.0.board.text.charset", "CP1251"}}, true},
		{[]set{{"counters.0.board.text.charset", "koi8-u"}}, false},
		{[]set{{"counters.12.board.awtrix.calling_color", "#FFaa00"}, {"counters.12.board.awtrix.blink", "250ms"}, {"counters.12.board.awtrix.notify", "-1s"}}, true},
		{[]set{{"counters.12.board.awtrix.blink", 250000000}}, false},
		{[]set{{"counters.12.board.awtrix.blink", "-1s"}}, false},
		{[]set{{"counters.12.board.awtrix.notify", "5 s"}}, false},
		{[]set{{"counters.12.board.awtrix.calling_color", "orange"}}, false},
		{[]set{{"counters.12.board.awtrix.prefix", "awtrix/+"}}, false},
		{[]set{{"counters.12.board.awtrix.prefix", ""}}, false},
		{[]set{{"counters.12.board.awtrix.app", "черга"}}, false},
		{[]set{{"counters.12.board.mode", "json"}, {"counters.12.board.awtrix.prefix", "awtrix/+"}}, true}, // not looked at
		{[]set{{"kiosks.0.long_press_ms", 0}}, true},
		{[]set{{"kiosks.0.long_press_ms", 499}}, false},
		{[]set{{"kiosks.0.long_press_ms", 10000}}, true},
		{[]set{{"kiosks.0.long_press_ms", 10001}}, false},
		{[]set{{"kiosks.0.press_interval_ms", 60000}}, true},
		{[]set{{"kiosks.0.press_interval_ms", 100}}, false},
		{[]set{{"kiosks.0.presses_per_minute", 6000}}, true},
		{[]set{{"kiosks.0.presses_per_minute", 6001}}, false},
		{[]set{{"kiosks.0.presses_per_minute", -1}}, false},
		{[]set{{"kiosks.0.status_poll_ms", 99}}, false},
		{[]set{{"kiosks.0.status_timeout_ms", 5000}}, true},
		{[]set{{"kiosks.0.status_timeout_ms", 5001}}, false},
		{[]set{{"kiosks.0.logo", "/etc/cherga/logo.png"}}, true},
		{[]set{{"kiosks.0.logo", "logo.png"}}, false},
		{[]set{{"kiosks.0.logo_nv", 255}}, true},
		{[]set{{"kiosks.0.logo_nv", 256}}, false},
		{[]set{{"kiosks.0.buttons.0.category", "veteran"}}, true},
		{[]set{{"kiosks.0.buttons.0.priority", true}}, true},
		{[]set{{"kiosks.0.scan_print", "no"}}, true}, // YAML 1.1's booleans, which go.yaml.in/yaml/v3 takes
		{[]set{{"kiosks.0.scan_print", "nope"}}, false},
		{[]set{{"gpio.debounce_ms", 5}}, true},
		{[]set{{"gpio.debounce_ms", 4}}, false},
		{[]set{{"gpio.debounce_ms", 201}}, false},
		{[]set{{"broker.url", "tcp://127.0.0.1:1883"}}, true},
		{[]set{{"broker.url", "mqtts://broker.example:8883"}, {"broker.ca_file", "/etc/cherga/ca.pem"}}, true},
		{[]set{{"broker.url", "mqtts://broker.example:8883"}, {"broker.ca_file", "ca.pem"}}, false},
		{[]set{{"broker.url", "http://broker.example"}}, false},
		{[]set{{"broker.url", "127.0.0.1:1883"}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "CP1251", "code_tables": map[string]any{"cp1251": 46}, "label_scale": 8}}}}, true},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 15, "code_page": "cp1251", "code_tables": map[string]any{"cp1251": 46}}}}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "koi8-u", "code_tables": map[string]any{"koi8-u": 0}}}}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "cp1251", "code_tables": map[string]any{"cp1251": 256}}}}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "cp1251", "code_tables": map[string]any{"cp1251": 46}, "label_scale": 1}}}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "cp1251", "code_tables": map[string]any{"cp1251": 46}, "qr_module": 17}}}}, false},
		{[]set{{"printer_profiles", []any{map[string]any{"name": "tm-m30", "columns": 42, "code_page": "cp1251", "code_tables": map[string]any{"cp1251": 46}, "feed_before_cut": 256}}}}, false},
	} {
		var names []string
		doc := fromYAML(t, base)
		for _, st := range tc.sets {
			setAt(doc, st.path, st.v)
			names = append(names, fmt.Sprintf("%s=%v", st.path, st.v))
		}
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			b, err := json.Marshal(doc)
			require.NoError(t, err)
			_, perr := config.Parse(b)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			require.NoError(t, err)
			serr := s.Validate(inst)
			if tc.ok {
				require.NoError(t, perr, "Parse")
				require.NoError(t, serr, "the schema")
			} else {
				require.Error(t, perr, "Parse")
				require.Error(t, serr, "the schema")
			}
		})
	}
}
