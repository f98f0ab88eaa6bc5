package config_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
)

// TestSyntaxErrorsNameTheLine breaks one line of the default office in the
// ways people do and expects the error at that line, with its text: go-yaml
// itself names the first line of the enclosing block (line 4 for a key
// dedented on line 95).
func TestSyntaxErrorsNameTheLine(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	lines := strings.Split(string(base), "\n")
	lineOf := func(text string) int {
		for i, l := range lines {
			if strings.Contains(l, text) {
				return i + 1
			}
		}
		t.Fatalf("no line %q in default.yaml", text)
		return 0
	}
	tests := []struct {
		name  string
		at    string                   // the line to break (its text)
		edit  func(line string) string // how
		below int                      // the error is this many lines below it
		hint  string
	}{
		{"list item key dedented to the top", "{service: pension, pin: GPIO27", strings.TrimSpace, 0, "indentation"},
		{"list item dedented by one", "{service: pension, pin: GPIO27", func(l string) string { return l[1:] }, 0, "indentation"},
		{"list item indented by one", "{service: pension, pin: GPIO27", func(l string) string { return " " + l }, 0, "indentation"},
		{"key dedented into a list", `width: 3`, func(l string) string { return l[2:] }, 0, "indentation"},
		{"key indented too far", `width: 3`, func(l string) string { return "  " + l }, 0, ""},
		{"key dedented in a mapping", "profile: epson-tm-t20", func(l string) string { return l[2:] }, 0, "indentation"},
		// A key at the top is right; the indented line under it is not.
		{"key at the top inside a mapping", "timezone: Europe/Kyiv", strings.TrimSpace, 1, "indentation"},
		{"a tab", "{service: pension, pin: GPIO27", func(l string) string { return "\t" + strings.TrimSpace(l) }, 0, "tab"},
		{"a tab after spaces", `width: 3`, func(l string) string { return "    \t" + strings.TrimSpace(l) }, 0, "tab"},
		{"missing colon", `width: 3`, func(l string) string { return strings.Replace(l, ":", "", 1) }, 0, "colon"},
		{"missing colon before a mapping line", `mon: "09:00-17:00"`, func(l string) string { return strings.Replace(l, ":", "", 1) }, 1, "colon missing on line"},
		{"list item mis-indented", "- id: pension", func(l string) string { return "  " + l }, 0, "indentation"},
		{"list item at the top", "- id: pension", strings.TrimSpace, 0, ""},
		{"unclosed flow mapping", `{id: "3", services: [social]}`, func(l string) string { return strings.TrimSuffix(l, "}") }, 0, ""},
		{"unclosed quote", `listen: "127.0.0.1:1883"`, func(l string) string { return strings.TrimSuffix(l, `"`) }, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := lineOf(tc.at)
			broken := append([]string(nil), lines...)
			broken[n-1] = tc.edit(broken[n-1])
			_, err := config.Parse([]byte(strings.Join(broken, "\n")))
			require.Error(t, err)
			var se *config.SyntaxError
			require.True(t, errors.As(err, &se), "%v", err)
			t.Log(err)
			require.Equal(t, n+tc.below, se.Line, "%v", err)
			require.Equal(t, strings.TrimRight(broken[n+tc.below-1], " "), se.Text)
			require.Contains(t, err.Error(), fmt.Sprintf("line %d: ", n+tc.below))
			require.Contains(t, se.Hint, tc.hint)
		})
	}
}

// TestSyntaxErrorsAcrossLines: a flow mapping or a quoted string over
// several lines is not a mistake though the document cut inside it fails;
// the mistake after it is still found.
func TestSyntaxErrorsAcrossLines(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		line int
	}{
		{"after a flow mapping over two lines", "site: demo\ncounters:\n  - {id: \"1\",\n     services: [social]}\n  - id: \"2\"\n   services: [social]\n", 6},
		{"after a quoted string over two lines", "site: demo\noffice:\n  name: \"Прозорий офіс\n    соціальних послуг\"\n  timezone: Europe/Kyiv\n hours: {}\n", 6},
		{"an unclosed flow sequence", "site: demo\ncounters: [\n", 2},
		{"on the first line", "\tsite: demo\n", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.doc))
			var se *config.SyntaxError
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, tc.line, se.Line, "%v", err)
		})
	}
}

// TestSyntaxErrorsAtAnOpenQuote: a quote left open is reported where it
// opened, not lines below where go-yaml found the next quote (in a
// comment, an apostrophe); an apostrophe inside '…' says what to write.
func TestSyntaxErrorsAtAnOpenQuote(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	for _, tc := range []struct{ name, from, to, hint string }{
		{"a prefix", `prefix: "П"`, `prefix: "П`, "not closed on this line"},
		{"a name in single quotes", `name: "Пенсійний фонд"`, `name: 'Зв'язок'`, "apostrophe"},
		{"the footer", `footer: "`, `footer: "Очікуйте`, "not closed on this line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := string(base)
			i := strings.Index(doc, tc.from)
			require.GreaterOrEqual(t, i, 0, tc.from)
			end := i + strings.IndexByte(doc[i:], '\n')
			line := strings.Count(doc[:i], "\n") + 1
			doc = doc[:i] + tc.to + doc[end:]
			_, err := config.Parse([]byte(doc))
			var se *config.SyntaxError
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, line, se.Line, "%v", err)
			require.Contains(t, se.Hint, tc.hint)
			require.Contains(t, se.Text, tc.to)
		})
	}
}

// A syntax error on the line of a password quotes the line without the
// password: the error goes to the journal.
func TestSyntaxErrorKeepsNoPassword(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	for _, pw := range []string{`Kyiv: 2026Secret`, `"Kyiv#2026"Secret"`, `*Kyiv2026`} {
		doc := strings.Replace(string(base), "  url: embedded", "  url: tcp://broker:1883\n  username: cherga\n  password: "+pw, 1)
		require.NotEqual(t, string(base), doc)
		_, err := config.Parse([]byte(doc))
		var se *config.SyntaxError
		require.ErrorAs(t, err, &se, pw)
		require.Contains(t, se.Text, "password: xxxxx", pw)
		require.NotContains(t, err.Error(), "2026", pw)
	}
}

// A key the configuration does not have is named as the person editing
// the file reads it: where it is, and the key most likely meant; a wrong
// value's error stays go-yaml's, with its line.
func TestUnknownKeysSayWhereAndWhatWasMeant(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	for _, tc := range []struct{ from, to, want string }{
		{"  timezone: Europe/Kyiv", "  timezon: Europe/Kyiv", `unknown setting "timezon" in office (did you mean timezone?)`},
		{"    width: 3", "    widht: 3", `unknown setting "widht" in services[] (did you mean width?)`},
		{"counters:", "countres:", `unknown setting "countres" (did you mean counters?)`},
		{"  timezone: Europe/Kyiv", "  colour: red", `unknown setting "colour" in office`},
		{"  timezone: Europe/Kyiv", "  Timezone: Europe/Kyiv", `unknown setting "Timezone" in office (did you mean timezone?)`},
		// A key of another place: one indented wrong.
		{"  timezone: Europe/Kyiv", "  width: 3", `unknown setting "width" in office (it is a setting in services[]: is it indented under the wrong key?)`},
		{"  timezone: Europe/Kyiv", "  site: demo", `unknown setting "site" in office (it is a setting at the top level: is it indented under the wrong key?)`},
		{"  timezone: Europe/Kyiv", "  services: []", `unknown setting "services" in office (it is a setting at the top level or in counters[]: is it indented under the wrong key?)`},
	} {
		doc := strings.Replace(string(base), tc.from+"\n", tc.to+"\n", 1)
		require.NotEqual(t, string(base), doc, tc.from)
		_, err := config.Parse([]byte(doc))
		require.ErrorContains(t, err, tc.want, tc.to)
		require.NotContains(t, err.Error(), "config.", "Go's names of the types")
		if !strings.Contains(tc.want, "did you mean") {
			require.NotContains(t, err.Error(), "did you mean", tc.to)
		}
	}
	_, err = config.Parse([]byte(strings.Replace(string(base), "    width: 3\n", "    width: three\n", 1)))
	require.ErrorContains(t, err, "cannot unmarshal !!str `three` into int")
}

// The settings default.yaml shows commented out («# daily_cap: 60») are
// settings of the place they stand at: uncommented one at a time, as an
// administrator does, the office still parses (a misspelled or renamed
// key in a comment would be refused at their start).
func TestDefaultCommentedSettings(t *testing.T) {
	base, err := firmwareconfig.Raw("default.yaml")
	require.NoError(t, err)
	// A key and a value (a word, a quoted string, a {map}): not prose.
	setting := regexp.MustCompile(`^(\s*)# ([a-z_]+: (?:\{[^}]*\}|"[^"]*"|[^\s"{]+))$`)
	lines := strings.Split(string(base), "\n")
	tried := 0
	for i, l := range lines {
		m := setting.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		tried++
		edited := slices.Clone(lines)
		edited[i] = m[1] + m[2]
		_, err := config.Parse([]byte(strings.Join(edited, "\n")))
		require.NoError(t, err, "line %d: %s", i+1, strings.TrimSpace(l))
	}
	require.GreaterOrEqual(t, tried, 9, "the commented settings found")
}
