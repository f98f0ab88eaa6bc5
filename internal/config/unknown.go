package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownRe is how go-yaml words a key the configuration does not have
// (Parse decodes with KnownFields): in Go's terms, not an administrator's.
var unknownRe = regexp.MustCompile(`^line ([0-9]+): field (.+) not found in type (\w+\.\w+)$`)

// unknownKeys words the keys of te that the configuration does not have
// as the person editing the file reads them: «line 4: unknown setting
// "timezon" in office (did you mean timezone?)», not «field timezon not
// found in type config.Office». Its other errors stay as they are.
func unknownKeys(te *yaml.TypeError) *yaml.TypeError {
	places := settingPlaces()
	out := &yaml.TypeError{Errors: make([]string, len(te.Errors))}
	for i, e := range te.Errors {
		m := unknownRe.FindStringSubmatch(e)
		var p place
		ok := m != nil
		if ok {
			p, ok = places[m[3]]
		}
		if !ok {
			out.Errors[i] = e
			continue
		}
		msg := fmt.Sprintf("line %s: unknown setting %q", m[1], m[2])
		if p.where != "" {
			msg += " in " + p.where
		}
		if near := nearest(m[2], p.keys); near != "" {
			msg += " (did you mean " + near + "?)"
		} else if under := placeOf(m[2], places); under != "" {
			msg += " (it is a setting " + under + ": is it indented under the wrong key?)"
		}
		out.Errors[i] = msg
	}
	return out
}

// place is where the settings of one of the configuration's types are
// (office, services[], kiosks[].buttons[]; "" for the top level, or a
// type found in several places), and their keys.
type place struct {
	where string
	keys  []string
}

// settingPlaces maps each struct type of the configuration, by its name
// as go-yaml gives it (config.Office, display.BoardConfig), to its place.
func settingPlaces() map[string]place {
	out := map[string]place{}
	// The module's own types (not time.Time's fields).
	module, _, _ := strings.Cut(reflect.TypeFor[Config]().PkgPath(), "/internal/")
	var walk func(t reflect.Type, where string)
	walk = func(t reflect.Type, where string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Slice {
				where += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || !strings.HasPrefix(t.PkgPath(), module) {
			return
		}
		if p, seen := out[t.String()]; seen {
			if p.where != where {
				p.where = "" // named by its keys alone
				out[t.String()] = p
			}
			return
		}
		p := place{where: where}
		out[t.String()] = p // before its fields: a type that holds itself
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			p.keys = append(p.keys, name)
			walk(f.Type, strings.TrimPrefix(where+"."+name, "."))
		}
		if q := out[t.String()]; q.where != where {
			p.where = q.where // found elsewhere meanwhile
		}
		out[t.String()] = p
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}

// placeOf says where key is a setting («in gpio», «at the top level or
// in counters[]»), when one or two places of places have it.
func placeOf(key string, places map[string]place) string {
	var found []string
	for name, p := range places {
		where := "in " + p.where
		switch {
		case name == reflect.TypeFor[Config]().String():
			where = "at the top level"
		case p.where == "":
			continue // a type of several places
		}
		if slices.Contains(p.keys, key) {
			found = append(found, where)
		}
	}
	if len(found) > 2 {
		return ""
	}
	slices.Sort(found) // «at the top level» first
	return strings.Join(found, " or ")
}

// nearest is the key of keys that key was most likely meant to be: one
// edit or two away (a letter left out, doubled, swapped, mistyped), the
// nearest first; "" when none is.
func nearest(key string, keys []string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (optimal string
// alignment) between a and b, in runes.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
