package office

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
)

// An administrator changes the office's configuration while it runs
// (config.set): services, counters, hours, holidays, the services of the
// kiosk buttons and the other office settings take effect at once. What the
// hardware is wired to (the site, the store, the broker, the GPIO pins, the
// kiosks and their printers, the time zone) takes effect with a restart,
// from the configuration file: a change to it is refused, naming the field.

// lastRan is the configuration a store last ran with (the latest of its
// recorded versions), or nil: the counters and services of that run whose
// boards and figures are still retained on the broker.
func lastRan(versions []queue.ConfigVersion) *config.Config {
	if len(versions) == 0 {
		return nil
	}
	c, _, err := config.ParseRecorded(versions[len(versions)-1].Config)
	if err != nil {
		return nil
	}
	return c
}

// A recording says which configurations the office records as it starts.
type recording int

const (
	recordNone  recording = iota
	recordFile            // the file's, which runs
	recordMerge           // the file's, then the merge that runs (chooseConfig)
)

// chooseConfig picks the configuration to start with, from the versions a
// store recorded: the file's (file), unless it is the one last recorded
// from the file and an administrator set another since: then that one,
// with what is wired as the file has it. A file edited since it was last
// recorded while an administrator's version ran (a printer moved, which
// only the file can say) runs its edits on top of that version: what
// either changed runs, and where both changed the same setting (of the
// same service, counter or kiosk; any other list, such as the holidays,
// is one setting), the file's edit (merge3). The
// built-in configuration (no file: builtin) changes only with the binary:
// an upgrade is not an edit, and what an administrator set since it was
// recorded keeps running.
func chooseConfig(versions []queue.ConfigVersion, file *config.Config, builtin bool, log *slog.Logger) (*config.Config, recording) {
	var lastFile *queue.ConfigVersion
	for i := range versions {
		if versions[i].Source == "file" {
			lastFile = &versions[i]
		}
	}
	if lastFile == nil {
		return file, recordFile
	}
	latest := versions[len(versions)-1]
	switch {
	case sameFile(lastFile.Config, file) && latest.Version == lastFile.Version:
		return file, recordNone
	case sameFile(lastFile.Config, file):
		return adminConfig(latest, file, log)
	case latest.Version == lastFile.Version:
		return file, recordFile // edited, and nothing else was set
	case builtin:
		log.Warn("office: the built-in configuration changed with this binary; an administrator's version runs, as before", "version", latest.Version)
		return adminConfig(latest, file, log)
	}
	edits, doc, err := mergeEdits(lastFile.Config, file, latest.Config)
	if err == nil {
		merged := latest
		merged.Config = doc
		if run, rec := adminConfig(merged, file, log); rec == recordNone {
			log.Warn("office: the configuration file changed: its edits run on top of what administrators set; where both changed a setting, the file's edit runs (chergactl config.history lists both, config.rollback brings a version back)",
				"file_version_before", lastFile.Version, "admin_version", latest.Version, "file_edited", strings.Join(edits, ", "))
			return run, recordMerge
		}
	}
	log.Error("office: the configuration file changed, and its edits do not go with what administrators set: the file runs as it is, without what they set; chergactl config.history lists it, config.rollback brings a version back",
		"file_version_before", lastFile.Version, "set_aside", fmt.Sprintf("%d..%d", lastFile.Version+1, latest.Version), "err", err)
	return file, recordFile
}

// mergeEdits applies the edits that make the recorded configuration base
// into file onto the recorded configuration set: the merged document, and
// the settings the file edited (office.footer, services[pension].name).
func mergeEdits(base []byte, file *config.Config, set []byte) (edits []string, merged []byte, err error) {
	old, _, err := config.ParseRecorded(base)
	if err != nil {
		return nil, nil, err
	}
	old.Site = file.Site // as sameFile
	from, err1 := decoded(old)
	to, err2 := decoded(file)
	var cur any
	err3 := json.Unmarshal(set, &cur)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, nil, err
	}
	var lost losses
	doc := merge3(from, to, cur, "", &edits, &lost)
	if len(lost) > 0 {
		// A list the file edited, given whole, replaces what an
		// administrator made of it: say what goes.
		edits = append(edits, fmt.Sprintf("(it leaves %s, which ran)", lost))
	}
	merged, err = json.Marshal(doc)
	return edits, merged, err
}

// merge3 is cur, a document an administrator made of base, with the edits
// that make base into file: a three-way merge. An object takes the members
// the file changed, added or dropped; a list of items with ids (services,
// counters, kiosks) the items it changed (each merged alike), added or
// dropped, so that an administrator's service stays beside the file's
// edit of another; any other value or list the file changed is the
// file's. The paths of the edits go to edits, and the items of a list
// the file's replaced that ran (an administrator's holiday) to lost.
func merge3(base, file, cur any, path string, edits *[]string, lost *losses) any {
	at := func(k string) string { return strings.TrimPrefix(path+"."+k, ".") }
	if b, ok := base.(map[string]any); ok {
		if f, ok := file.(map[string]any); ok {
			out := map[string]any{}
			if c, ok := cur.(map[string]any); ok {
				maps.Copy(out, c)
			}
			for _, k := range slices.Sorted(maps.Keys(f)) {
				if !reflect.DeepEqual(b[k], f[k]) {
					out[k] = merge3(b[k], f[k], out[k], at(k), edits, lost)
				}
			}
			for _, k := range slices.Sorted(maps.Keys(b)) {
				if _, kept := f[k]; !kept {
					// The file took the setting away: what an
					// administrator made of it goes with it.
					merge3(b[k], nil, out[k], at(k), edits, lost)
					delete(out, k)
				}
			}
			return out
		}
	}
	b, ok1 := byID(base)
	f, ok2 := byID(file)
	c, ok3 := byID(cur)
	if !ok1 || !ok2 || !ok3 {
		*edits = append(*edits, path)
		if old, ok := cur.([]any); ok {
			var gone []string // what an administrator added
			in := func(v, list any) bool {
				l, _ := list.([]any)
				return slices.ContainsFunc(l, func(n any) bool { return sameItem(v, n) })
			}
			for _, item := range old {
				if !in(item, file) && !in(item, base) {
					gone = append(gone, itemName(item))
				}
			}
			if len(gone) > 0 {
				*lost = append(*lost, loss{"config." + path, gone})
			}
		}
		return file
	}
	out := []any{}
	edited := func(id string) bool { return f[id] != nil && !reflect.DeepEqual(b[id], f[id]) }
	for _, item := range cur.([]any) {
		id := itemName(item)
		switch where := fmt.Sprintf("%s[%s]", path, id); {
		case b[id] != nil && f[id] == nil:
			*edits = append(*edits, where+" (taken away)")
		case edited(id):
			out = append(out, merge3(b[id], f[id], c[id], where, edits, lost))
		default:
			out = append(out, c[id])
		}
	}
	// The file's new items, and those it edited that an administrator
	// took away: where both changed an item, the file's edit runs.
	for _, item := range file.([]any) {
		if id := itemName(item); c[id] == nil && edited(id) {
			out = append(out, item)
			*edits = append(*edits, fmt.Sprintf("%s[%s]", path, id))
		}
	}
	return out
}

// byID is a list of objects by their ids, when every item has an id of
// its own.
func byID(v any) (map[string]any, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	m := map[string]any{}
	for _, item := range l {
		o, ok := item.(map[string]any)
		if !ok || o["id"] == nil {
			return nil, false
		}
		id := itemName(o)
		if m[id] != nil {
			return nil, false
		}
		m[id] = o
	}
	return m, true
}

// decoded is v as a decoded JSON document.
func decoded(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d any
	return d, json.Unmarshal(b, &d)
}

// sameFile reports whether a recorded configuration document is the
// configuration file's, as this binary reads both: a newer binary may
// write the same file otherwise (a field's encoding, a default it fills
// in), which is no edit.
func sameFile(recorded []byte, file *config.Config) bool {
	old, _, err := config.ParseRecorded(recorded)
	if err != nil {
		return false
	}
	old.Site = file.Site // wired (and -site sets it): no edit
	a, err1 := json.Marshal(old)
	b, err2 := json.Marshal(file)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// newerSettings says that a recorded configuration has settings this
// cherga does not know, which it leaves out: a newer one recorded them, and
// this one runs after a rollback.
func newerSettings(unknown []string) string {
	return fmt.Sprintf("the configuration was recorded by a newer cherga: this one leaves out the settings it does not know (%s)", strings.Join(unknown, ", "))
}

// adminConfig is the version an administrator set (latest), with what is
// wired (and the secrets) as the file has it, or the file's when it no
// longer validates or prints.
func adminConfig(latest queue.ConfigVersion, file *config.Config, log *slog.Logger) (*config.Config, recording) {
	set, unknown, err := config.ParseRecorded(latest.Config)
	if err == nil {
		wire(set, file)
		err = set.Validate()
	}
	if err == nil && len(unknown) > 0 {
		log.Warn("office: "+newerSettings(unknown), "version", latest.Version)
	}
	if err != nil {
		log.Error("office: the configuration an administrator set no longer validates; running the file's", "version", latest.Version, "err", err)
		return file, recordFile
	}
	for _, k := range set.Kiosks {
		p, err := firmwareconfig.PrinterProfile(k.Profile, set.PrinterProfiles)
		if err == nil {
			err = printable(set, k.ID, p)
		}
		if err != nil {
			log.Error("office: the configuration an administrator set cannot be printed; running the file's", "version", latest.Version, "err", err)
			return file, recordFile
		}
	}
	log.Info("office: running the configuration an administrator set", "version", latest.Version, "source", latest.Source, "at", latest.At)
	return set, recordNone
}

// wire gives set what is wired (and the secrets) as from has them: the
// site, the store, the broker, the pins, the time zone, the kiosks (the
// buttons of a kiosk keep set's services when they are wired as in set:
// the same pins, lamps and kinds, whatever its printer, which -printer
// may have replaced), and the pins of each counter from has too.
func wire(set, from *config.Config) {
	set.Site, set.DB, set.Broker, set.GPIO, set.PrinterProfiles = from.Site, from.DB, from.Broker, from.GPIO, from.PrinterProfiles
	set.Office.Timezone = from.Office.Timezone
	kiosks := wiring(from.Kiosks)
	for i := range kiosks {
		k := &kiosks[i]
		was := set.Kiosk(k.ID)
		if was == nil || !sameJSON(wiring([]config.Kiosk{{Buttons: was.Buttons}}), wiring([]config.Kiosk{{Buttons: k.Buttons}})) {
			was = from.Kiosk(k.ID)
		}
		for j := range k.Buttons {
			k.Buttons[j].Service = was.Buttons[j].Service
		}
	}
	set.Kiosks = kiosks
	for i, c := range set.Counters {
		if w := from.Counter(c.ID); w != nil {
			set.Counters[i].Buttons, set.Counters[i].Lamp = w.Buttons, w.Lamp
		}
	}
}

// checkDoc names the member of a configuration document (JSON) that the
// configuration has no field for, or whose value has the wrong kind, as
// validation names a bad value: config.office.recall_limit. A misspelt key
// would otherwise be refused naming only the document. Text fields take
// numbers too (a counter id 5), as the YAML file does.
func checkDoc(doc []byte) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return &AdminError{Code: CodeBadRequest, Field: "config", Message: "office: config: not JSON: " + err.Error()}
	}
	if path, problem := checkMember(v, reflect.TypeFor[config.Config](), "config"); path != "" {
		return &AdminError{Code: CodeBadRequest, Field: path, Message: "office: " + path + ": " + problem}
	}
	return nil
}

// listWhole says how a list of the configuration (config.services) is
// changed: a patch sets it whole, not one of its items.
func listWhole(path string) string {
	return path + " is a list, which a patch sets whole: send all its items, changed (config.get shows them; chergactl config.set '" + strings.TrimPrefix(path, "config.") + "=[…]', or -args @FILE)"
}

// checkMember is the path of the first member of v, decoded JSON, that
// type t has no field for or whose kind t cannot take, and why ("" when
// every one fits; JSON null is the zero value).
func checkMember(v any, t reflect.Type, path string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return "", ""
	}
	if t == reflect.TypeFor[time.Duration]() {
		// Text, as the file has it ("500ms").
		if d, ok := v.(string); !ok {
			return path, fmt.Sprintf("want a duration such as \"500ms\", got %s", sent(v))
		} else if _, err := time.ParseDuration(d); err != nil {
			return path, fmt.Sprintf("want a duration such as \"500ms\": %v", err)
		}
		return "", ""
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return path, "want an object, got " + sent(v)
		}
		fields := maps.Collect(device.JSONFields(t))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			ft, ok := fields[k]
			if name, _, cut := strings.Cut(k, "["); !ok && cut {
				if lt, ok := fields[name]; ok && lt.Kind() == reflect.Slice {
					return path + "." + k, listWhole(path + "." + name)
				}
			}
			if !ok {
				return path + "." + k, "the configuration has no such field"
			}
			if p, why := checkMember(obj[k], ft, path+"."+k); p != "" {
				return p, why
			}
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return path, "want a list, got " + sent(v) + "; " + listWhole(path)
		}
		for i, e := range list {
			if p, why := checkMember(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p, why
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return path, "want an object, got " + sent(v)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if p, why := checkMember(obj[k], t.Elem(), path+"."+k); p != "" {
				return p, why
			}
		}
	case reflect.String:
		switch v.(type) {
		case string, float64, bool:
		default:
			return path, "want text, got " + sent(v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n, ok := v.(float64); !ok || n != math.Trunc(n) {
			return path, "want a whole number, got " + sent(v)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(float64); !ok {
			return path, "want a number, got " + sent(v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return path, "want true or false, got " + sent(v)
		}
	}
	return "", ""
}

// sent says what a decoded JSON value is, for a message that refuses it:
// "5" sent for a number is text "5", which a bare 5 would hide, as if the
// number were wrong.
func sent(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("text %q", truncate([]byte(v), 80)) // a request may send megabytes
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v) // true, false
}

// setConfig validates doc (a whole configuration, as config.get gives it,
// or a recorded version) against the running one, runs it and records it
// as version v, which it returns filled in, as ch allows: a change made
// from a version no longer running is refused (conflict), as one that
// would send home waiting tickets without ch.Expire (refused, naming
// them); either changes nothing. guard, if set, may refuse a change
// that validates, before it runs. With keepSame, a document that is the
// configuration running (14.0 for 14, the keys in another order) records
// nothing: it returns the version running and errUnchanged.
func (o *Office) setConfig(ctx context.Context, doc []byte, ch queue.Change, v queue.ConfigVersion, guard func() error, keepSame bool) (queue.ConfigVersion, error) {
	if err := checkDoc(doc); err != nil {
		return v, err
	}
	next, err := config.Parse(doc)
	if err != nil {
		var fe config.Errors
		if errors.As(err, &fe) && len(fe) > 0 {
			ae := &AdminError{Code: CodeBadRequest, Field: "config." + fe[0].Field, Message: err.Error()}
			for _, e := range fe {
				ae.Errors = append(ae.Errors, FieldProblem{Field: "config." + e.Field, Message: strings.TrimPrefix(e.Error(), "config: ")})
			}
			return v, ae
		}
		return v, &AdminError{Code: CodeBadRequest, Field: "config", Message: err.Error()}
	}
	cur, file := o.running(), o.conf()
	// A document may give what waits for a restart as config.get shows it
	// (what runs) or as the file has it (a recorded version): both are no
	// change.
	if next.DB == file.DB {
		next.DB = cur.DB
	}
	for _, u := range []string{cur.Broker.URL, file.Broker.URL} {
		if next.Broker.URL != u && next.Broker.URL == config.RedactURL(u) {
			next.Broker.URL = u // as a document gives it: without its password
		}
	}
	if next.Broker.URL == file.Broker.URL && next.Broker.Listen == file.Broker.Listen {
		next.Broker.URL, next.Broker.Listen = cur.Broker.URL, cur.Broker.Listen
	}
	if tlsFiles(next.Broker) == tlsFiles(file.Broker) {
		next.Broker.CAFile, next.Broker.CertFile, next.Broker.KeyFile = cur.Broker.CAFile, cur.Broker.CertFile, cur.Broker.KeyFile
	}
	if next.Broker.URL == "embedded" && cur.Broker.URL == "embedded" && anyPortOf(o.listen, next.Broker.Listen) {
		next.Broker.Listen = cur.Broker.Listen // a port the OS chose for an earlier run (config.get saved then)
	}
	if sameJSON(wiring(next.Kiosks), wiring(file.Kiosks)) {
		next.Kiosks = withServices(cur.Kiosks, next.Kiosks)
	}
	if err := restartOnly(cur, next); err != nil {
		return v, err
	}
	for _, k := range o.kiosks {
		if err := printable(next, k.cfg.ID, k.profile); err != nil {
			return v, &AdminError{Code: CodeBadRequest, Field: configField(err), Message: err.Error()}
		}
	}
	if err := next.SharedMatrix(); err != nil && cur.SharedMatrix() == nil {
		return v, &AdminError{Code: CodeBadRequest, Field: configField(err), Message: err.Error()}
	}
	if guard != nil {
		// Asked of a change that could be made.
		if err := guard(); err != nil {
			return v, err
		}
	}
	// What waits for a restart stays as the file has it (and the secrets
	// config.get leaves out with it).
	next.Site, next.DB, next.Broker, next.GPIO = file.Site, file.DB, file.Broker, file.GPIO
	next.Kiosks = withServices(file.Kiosks, next.Kiosks)
	next.Office.Timezone = file.Office.Timezone
	if keepSame && sameJSON(next, file) {
		vs, err := o.eng.ConfigVersions(ctx)
		if err != nil || len(vs) == 0 {
			return v, err
		}
		return vs[len(vs)-1], errUnchanged
	}
	v, err = o.eng.SetConfigVersion(ctx, next, ch, v)
	var changed *queue.ConfigChangedError
	if errors.As(err, &changed) {
		return v, &AdminError{Code: CodeConflict, Field: "base_version",
			Message: fmt.Sprintf("office: the configuration is at version %d, not %d: config.get, merge, and send again", changed.Running, changed.Base)}
	}
	var we *queue.WidthError
	if errors.As(err, &we) {
		return v, &AdminError{Code: CodeBadRequest, Field: fmt.Sprintf("config.services[%d].width", we.Index),
			Message: err.Error()}
	}
	var expires *queue.ExpiresError
	if errors.As(err, &expires) {
		return v, &AdminError{Code: CodeRefused, Field: "expire",
			Message: err.Error() + `: nothing changed; to make the change all the same, send it again with "expire": true`}
	}
	if err != nil {
		return v, err
	}
	o.cfg.Store(next)
	o.clearGone(o.runCtx, file, next)
	for _, k := range o.kiosks {
		k.relight()
		if k.scanner != nil && next.Office.StatusURL != cur.Office.StatusURL {
			// The tickets printed from now on carry the new URL; those of
			// the old one are still in citizens' hands today, and are read
			// as unknown codes.
			if err := k.scanner.SetStatusURL(next.Office.StatusURL); err != nil {
				o.log.Error("office: the kiosk's scanner keeps reading tickets by the former status_url", "kiosk", k.cfg.ID, "err", err)
			}
		}
	}
	return v, nil
}

// errUnchanged is returned by setConfig for a document that changes
// nothing: no version is recorded, and no config.changed sent.
var errUnchanged = errors.New("office: the configuration is as it runs")

// anyPortOf reports whether addr is on the host of asked, an address whose
// port 0 let the OS choose one.
func anyPortOf(asked, addr string) bool {
	ah, ap, err1 := net.SplitHostPort(asked)
	h, _, err2 := net.SplitHostPort(addr)
	return err1 == nil && err2 == nil && ap == "0" && h == ah
}

// tlsFiles are the broker's TLS files, to compare.
func tlsFiles(b config.Broker) [3]string { return [3]string{b.CAFile, b.CertFile, b.KeyFile} }

// configField is the field of the document that err names, as an
// AdminError gives it: config.services[2].prefix; config when err names
// none.
func configField(err error) string {
	var fe *FieldError
	var ce *config.FieldError
	switch {
	case errors.As(err, &fe):
		return "config." + fe.Field
	case errors.As(err, &ce):
		return "config." + ce.Field
	}
	return "config"
}

// restartOnly refuses a change to what takes effect with a restart.
func restartOnly(cur, next *config.Config) error {
	refuse := func(field string) error {
		return &AdminError{Code: CodeBadRequest, Field: "config." + field,
			Message: fmt.Sprintf("office: %s takes effect with a restart: change it in the configuration file", field)}
	}
	switch {
	case next.Site != cur.Site:
		return refuse("site")
	case next.DB != cur.DB:
		return refuse("db")
	case next.Broker.URL != cur.Broker.URL || next.Broker.Listen != cur.Broker.Listen || next.Broker.Username != cur.Broker.Username ||
		tlsFiles(next.Broker) != tlsFiles(cur.Broker):
		return refuse("broker")
	case !reflect.DeepEqual(next.GPIO, cur.GPIO):
		return refuse("gpio")
	case next.Office.Timezone != cur.Office.Timezone:
		return refuse("office.timezone")
	case !sameJSON(wiring(next.Kiosks), wiring(cur.Kiosks)):
		return rewired(wiring(cur.Kiosks), wiring(next.Kiosks))
	case !sameJSON(next.PrinterProfiles, cur.PrinterProfiles):
		return refuse("printer_profiles")
	}
	// A counter's pins are wired: its buttons and lamp stay as they are.
	pins := func(c *config.Config) map[string]string {
		m := map[string]string{}
		for _, ct := range c.Counters {
			for _, a := range slices.Sorted(maps.Keys(ct.Buttons)) {
				m[ct.ID+" "+a] = ct.Buttons[a]
			}
			if ct.Lamp != "" {
				m[ct.ID+" lamp"] = ct.Lamp
			}
		}
		return m
	}
	if !maps.Equal(pins(cur), pins(next)) {
		for i, ct := range next.Counters {
			if old := cur.Counter(ct.ID); old == nil && (len(ct.Buttons) > 0 || ct.Lamp != "") || old != nil && (!maps.Equal(old.Buttons, ct.Buttons) || old.Lamp != ct.Lamp) {
				return refuse(fmt.Sprintf("counters[%d] pins", i))
			}
		}
		// A counter with pins left out: most likely a patch that meant
		// to add one, which replaces the whole list.
		for _, ct := range cur.Counters {
			if next.Counter(ct.ID) == nil && (len(ct.Buttons) > 0 || ct.Lamp != "") {
				return &AdminError{Code: CodeBadRequest, Field: "config.counters",
					Message: fmt.Sprintf("office: counter %s has GPIO pins, wired at start: it is not taken away while the office runs, and nothing changed. "+
						"To take it away, take it out of the configuration file and restart. "+
						"To add or change another counter, give every counter: a patch replaces the whole list (JSON merge patch), as config.get shows it", ct.ID)}
			}
		}
		return refuse("counters: a counter with GPIO pins")
	}
	return nil
}

// rewired refuses a change of the kiosks other than their buttons'
// services (wiring), naming the first setting that differs: a patch that
// gives a kiosk with its buttons alone (a merge patch replaces the whole
// list) leaves out its printer, and it was refused as "kiosks".
func rewired(cur, next []config.Kiosk) error {
	a, _ := decoded(cur)
	b, _ := decoded(next)
	field, detail := firstDiff(a, b, "kiosks")
	if field == "kiosks" {
		detail = "a kiosk is added or taken away only in the configuration file"
	}
	return &AdminError{Code: CodeBadRequest, Field: "config." + field, Message: fmt.Sprintf(
		"office: %s takes effect with a restart: change it in the configuration file (%s). "+
			"Only the services of a kiosk's buttons change while the office runs: give the kiosks whole, as config.get shows them, with those changed (a merge patch replaces a whole list). Nothing changed",
		field, detail)}
}

// firstDiff is the path of the first value in which two decoded documents
// differ, the keys of an object taken in order, and what it is in each:
// "this gives …, and … runs"; a list of another length is named whole,
// with the lengths.
func firstDiff(cur, next any, path string) (field, detail string) {
	switch c := cur.(type) {
	case map[string]any:
		if n, ok := next.(map[string]any); ok {
			keys := slices.Collect(maps.Keys(c))
			for k := range n {
				if _, ok := c[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				if !reflect.DeepEqual(c[k], n[k]) {
					return firstDiff(c[k], n[k], path+"."+k)
				}
			}
		}
	case []any:
		if n, ok := next.([]any); ok {
			if len(n) != len(c) {
				return path, fmt.Sprintf("this gives %s, and %s run", items(len(n)), items(len(c)))
			}
			for i := range c {
				if !reflect.DeepEqual(c[i], n[i]) {
					return firstDiff(c[i], n[i], fmt.Sprintf("%s[%d]", path, i))
				}
			}
		}
	}
	return path, fmt.Sprintf("this gives %s, and %s runs", jsonText(next), jsonText(cur))
}

// items counts the items of a list: "1 item", "3 items".
func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}

// jsonText is a value of a decoded document as JSON, "nothing" for none.
func jsonText(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// wiring is the kiosks without the services of their buttons: a button may
// be given another service while the office runs (its pin and lamp stay).
func wiring(ks []config.Kiosk) []config.Kiosk {
	out := slices.Clone(ks)
	for i := range out {
		out[i].Buttons = slices.Clone(out[i].Buttons)
		for j := range out[i].Buttons {
			out[i].Buttons[j].Service = ""
		}
	}
	return out
}

// withServices is the kiosks ks with the services of the buttons of from,
// which has the same wiring.
func withServices(ks, from []config.Kiosk) []config.Kiosk {
	out := wiring(ks)
	for i := range out {
		for j := range out[i].Buttons {
			out[i].Buttons[j].Service = from[i].Buttons[j].Service
		}
	}
	return out
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// clearGone empties the retained topics of the counters, services and
// kiosks that the change took away (and the board topics a counter no
// longer uses: an AWTRIX prefix changed), and all of the old site's when a
// restart changed the site, so that no board or website shows them. It
// clears them once the broker answers (a box may start before its broker
// after a power cut). The change is committed already: the publisher
// empties them before the next retained state it takes, which has none of
// theirs, and after what it sent before; cleared at once, a state the
// publisher had taken before the change could come after the clearing,
// and stay.
func (o *Office) clearGone(ctx context.Context, old, next *config.Config) {
	root, newRoot := old.Root(), next.Root()
	var topics []string
	empty := func(t string) { topics = append(topics, t) }
	for _, c := range old.Counters {
		was := boardTopics(old, &c)
		if nc := next.Counter(c.ID); nc != nil {
			for t := range boardTopics(next, nc) {
				delete(was, t)
			}
		}
		for t := range was {
			empty(t)
		}
	}
	for _, s := range old.Services {
		if next.Service(s.ID) == nil || root != newRoot {
			empty(bus.Queue(root, s.ID))
		}
	}
	for _, k := range old.Kiosks {
		if next.Kiosk(k.ID) == nil || root != newRoot {
			empty(bus.Printer(root, k.ID))
		}
	}
	oldSite := ""
	if root != newRoot {
		// Restarted under another site: the old site's topics are nobody's,
		// unless a controller runs that site (clear says).
		for _, t := range []string{bus.Hall(root), bus.Load(root), bus.Status(root)} {
			empty(t)
		}
		oldSite = old.Site
	}
	if oldSite != "" {
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			o.clearSite(ctx, topics, oldSite, root)
		}()
		return
	}
	// A topic another counter uses now (an AWTRIX prefix given to it) is
	// not emptied, and one the change uses again (a counter added back)
	// not emptied again after a loss of the broker (dueGone).
	used := usedTopics(next)
	topics = slices.DeleteFunc(topics, func(t string) bool { return used[t] })
	o.goneMu.Lock()
	if o.gone == nil {
		o.gone, o.goneDue = map[string]bool{}, map[string]bool{}
	}
	for _, t := range topics {
		o.goneDue[t] = true
		// Emptied again after a loss only under the office's root: an
		// AWTRIX matrix taken away may be another office's now.
		if strings.HasPrefix(t, root+"/") {
			o.gone[t] = true
		}
	}
	for t := range used {
		delete(o.gone, t)
	}
	o.goneMu.Unlock()
	if len(topics) > 0 {
		select {
		case o.goneWake <- struct{}{}:
		default:
		}
	}
}

// usedTopics are the retained topics of cfg's counters, services and
// kiosks that a change may take away.
func usedTopics(cfg *config.Config) map[string]bool {
	root := cfg.Root()
	used := map[string]bool{}
	for _, c := range cfg.Counters {
		maps.Copy(used, boardTopics(cfg, &c))
	}
	for _, s := range cfg.Services {
		used[bus.Queue(root, s.ID)] = true
	}
	for _, k := range cfg.Kiosks {
		used[bus.Printer(root, k.ID)] = true
	}
	return used
}

// takeGone returns the topics to empty now (clearGone), and forgets them.
func (o *Office) takeGone() []string {
	o.goneMu.Lock()
	defer o.goneMu.Unlock()
	due := slices.Sorted(maps.Keys(o.goneDue))
	clear(o.goneDue)
	return due
}

// dueGone makes topics due to be emptied again (their emptying may not
// have reached the broker), or, with none, all the topics taken away
// since the start: a broker that was lost may have brought them back (a
// restart that restored an older copy of its retained messages).
func (o *Office) dueGone(topics ...string) {
	o.goneMu.Lock()
	defer o.goneMu.Unlock()
	if topics == nil {
		topics = slices.Collect(maps.Keys(o.gone))
	}
	if len(topics) > 0 && o.goneDue == nil {
		o.goneDue = map[string]bool{}
	}
	for _, t := range topics {
		o.goneDue[t] = true
	}
}

// clearSite empties the retained topics of the site this store last ran
// as (oldSite, under root) once the broker answers, trying again every few
// seconds until it has them all. They are left as they are while that
// site's status says a controller runs it: this store was copied from that
// office's (a cloned SD card), not renamed, and its topics are that
// office's.
func (o *Office) clearSite(ctx context.Context, topics []string, oldSite, root string) {
	for wait := time.Duration(0); ; wait = 5 * time.Second {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if !o.bus.Connected() {
			continue
		}
		b, err := o.bus.Retained(bus.Status(root), time.Second)
		if err != nil {
			continue
		}
		var st Status
		if json.Unmarshal(b, &st) == nil && st.Online {
			o.log.Warn("office: this store last ran as another site, and a controller of that site is online: its topics are left as they are. If this store was copied from that office's (a cloned SD card), its tickets are that office's: stop, move the state file aside, and start again",
				"site", o.conf().Site, "store_site", oldSite, "its_started", st.Started)
			return
		}
		for _, t := range topics {
			if err = o.bus.Publish(t, 1, true, nil); err != nil {
				break
			}
		}
		if err == nil {
			// A rename (-rename-site) waits for this line: stopped before
			// it, the old site's topics stay on the broker.
			o.log.Info("office: the retained topics of the site this store last ran as are cleared", "store_site", oldSite)
			return
		}
		o.log.Debug("office: retained topics not cleared yet", "err", err)
	}
}

// boardTopics are the retained topics of a counter's boards, of cfg.
func boardTopics(cfg *config.Config, c *config.Counter) map[string]bool {
	root := cfg.Root()
	ts := map[string]bool{bus.Board(root, c.ID): true, bus.BoardText(root, c.ID): true, bus.BoxState(root, c.ID): true}
	for _, m := range cfg.Board(c).Messages(display.Board{Counter: c.ID, State: display.Idle}) {
		if m.Retain {
			ts[m.Topic] = true
		}
	}
	return ts
}

// patchHint is what to add to the refusal of a patch that gives some of
// the services, counters or kiosks, each by its id, when merging each into
// the one of its id would have been a sound configuration: a patch meant to
// change one of them, which a merge patch cannot do ("" for none).
func (o *Office) patchHint(patch json.RawMessage) string {
	var p map[string]any
	if json.Unmarshal(patch, &p) != nil {
		return ""
	}
	cur, err := o.runningDoc()
	if err != nil {
		return ""
	}
	var lists []string
	for _, key := range []string{"services", "counters", "kiosks"} {
		items, _ := p[key].([]any)
		old, _ := cur[key].([]any)
		if len(items) == 0 || len(items) >= len(old) {
			continue
		}
		merged, ok := mergeByID(old, items)
		if !ok {
			return ""
		}
		p[key] = merged
		lists = append(lists, key)
	}
	if len(lists) == 0 {
		return ""
	}
	doc, err := json.Marshal(mergePatch(cur, p))
	if err != nil {
		return ""
	}
	if _, err := config.Parse(doc); err != nil {
		return ""
	}
	return fmt.Sprintf(" (a patch replaces a whole list, JSON merge patch: to change one of the %s, give every one, as config.get shows them, with the change)", strings.Join(lists, " or "))
}

// addsItems reports whether a merge patch gives a list of services,
// counters or kiosks with an item (by id) that does not run.
func (o *Office) addsItems(patch json.RawMessage) bool {
	var p map[string]any
	if json.Unmarshal(patch, &p) != nil {
		return false
	}
	cur, err := o.runningDoc()
	if err != nil {
		return false
	}
	for _, key := range []string{"services", "counters", "kiosks"} {
		items, _ := p[key].([]any)
		old, _ := cur[key].([]any)
		for _, it := range items {
			if m, _ := it.(map[string]any); m != nil && m["id"] != nil && !slices.ContainsFunc(old, func(o any) bool { return sameID(o, it) }) {
				return true
			}
		}
	}
	return false
}

// changeWarnings says what a change from before to the configuration
// running now does that an administrator may not have meant, and that is
// no error: a service's hours given for one day (to close it early today)
// that leave it out on the days it was given before; a daily_cap that
// today's tickets have reached already, which stops its kiosks at once.
func (o *Office) changeWarnings(ctx context.Context, before *config.Config) []string {
	after := o.conf()
	// lost are the weekdays on which svc (nil: the office) was open before
	// (was) and is not now.
	lost := func(was, svc *config.Service) []string {
		var days []string
		for _, d := range config.Weekdays {
			if from, to := before.HoursOf(was, d); from < to {
				if from, to := after.HoursOf(svc, d); from >= to {
					days = append(days, d)
				}
			}
		}
		return days
	}
	var ws []string
	if days := lost(nil, nil); len(days) > 0 {
		ws = append(ws, fmt.Sprintf("config.office.hours: the office is no longer open on %s (its hours name every day it is open: a day left out is closed)", strings.Join(days, ", ")))
	}
	for i := range after.Services {
		svc, was := &after.Services[i], before.Service(after.Services[i].ID)
		if was == nil {
			continue
		}
		f := after.Where(fmt.Sprintf("services[%d]", i))
		if days := lost(was, svc); len(days) > 0 && (svc.Hours != nil || was.Hours != nil) {
			// A service on the office's hours, before and now, is said
			// with the office.
			ws = append(ws, fmt.Sprintf("%s.hours: the service is no longer given on %s (a service's hours name every day it is given: a day left out is closed)", f, strings.Join(days, ", ")))
		}
		if svc.DailyCap > 0 && svc.DailyCap != was.DailyCap && errors.Is(o.eng.Issuable(ctx, svc.ID), queue.ErrDailyCap) {
			ws = append(ws, fmt.Sprintf("%s.daily_cap: today's tickets of the service reached %d already: its kiosks issue none more of it today", f, svc.DailyCap))
		}
	}
	return ws
}

// shortened refuses a merge patch that gives a list of the running
// configuration whole without some of its items (or deletes it): a merge
// patch replaces a whole list, and one meant to add or change an item
// (a counter, a holiday) would take the others away. Sent with "remove":
// true it is not asked.
func (o *Office) shortened(patch json.RawMessage) error {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil // configDoc said so
	}
	cur, err := o.runningDoc()
	if err != nil {
		return err
	}
	losses := leftOut(cur, p, "config")
	if len(losses) == 0 {
		return nil
	}
	msg := fmt.Sprintf("office: the patch would leave %s: a merge patch replaces a whole list, and they would be taken away. Nothing changed. "+
		`To add or change one, give every one as config.get shows them, with the new one or the change; to take them away, send it again with "remove": true`,
		losses)
	if r := renamed(cur, p); len(r) > 0 {
		msg += fmt.Sprintf(". A service of a new id that prints the prefix of one taken away is that service renamed (%s): it takes its tickets and bookings; to rename it, send it again with \"remove\": true", strings.Join(r, ", "))
	}
	return &AdminError{Code: CodeRefused, Field: "remove", Message: msg}
}

// renamed names the services of patch, a merge patch of cur, that rename
// one it takes away ("pension → pfu"): a new id with its prefix.
func renamed(cur, patch any) []string {
	list := func(doc any) []map[string]any {
		m, _ := doc.(map[string]any)
		items, _ := m["services"].([]any)
		var out []map[string]any
		for _, it := range items {
			if s, ok := it.(map[string]any); ok {
				out = append(out, s)
			}
		}
		return out
	}
	pm, _ := patch.(map[string]any)
	_, given := pm["services"]
	old, now := list(cur), list(patch)
	var out []string
	for _, o := range old {
		if !given || slices.ContainsFunc(now, func(n map[string]any) bool { return sameItem(o, n) }) {
			continue // kept
		}
		for _, n := range now {
			if !slices.ContainsFunc(old, func(o map[string]any) bool { return sameItem(o, n) }) && o["prefix"] != nil && fmt.Sprint(n["prefix"]) == fmt.Sprint(o["prefix"]) {
				out = append(out, itemName(o)+" → "+itemName(n))
			}
		}
	}
	return out
}

// A loss is the items (by id where they have one) that a merge patch
// takes out of the list at field.
type loss struct {
	field string
	lost  []string
}

// losses read: config.counters without 13; config.office.holidays
// without "2030-12-31".
type losses []loss

func (ls losses) String() string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.field+" without "+strings.Join(l.lost, ", "))
	}
	return strings.Join(parts, "; ")
}

// leftOut are the lists of cur (below path) that patch, a merge patch of
// it, gives whole without some of their items, or deletes, and those
// items.
func leftOut(cur, patch any, path string) losses {
	p, ok := patch.(map[string]any)
	if !ok {
		return nil
	}
	c, _ := cur.(map[string]any)
	var out losses
	for _, k := range slices.Sorted(maps.Keys(p)) {
		old, isList := c[k].([]any)
		var lost []string
		switch v := p[k].(type) {
		case map[string]any:
			out = append(out, leftOut(c[k], v, path+"."+k)...)
		case []any:
			for _, item := range old {
				if !slices.ContainsFunc(v, func(n any) bool { return sameItem(item, n) }) {
					lost = append(lost, itemName(item))
				}
			}
		case nil:
			if isList {
				lost = append(lost, listNames(old)...)
			}
		}
		if isList && len(lost) > 0 {
			out = append(out, loss{path + "." + k, lost})
		}
	}
	return out
}

// sameItem reports whether two items of a list are one: of one id, or
// equal.
func sameItem(a, b any) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if ok1 && ok2 && am["id"] != nil {
		return fmt.Sprint(am["id"]) == fmt.Sprint(bm["id"])
	}
	return reflect.DeepEqual(a, b)
}

// itemName names an item of a list: its id, or itself.
func itemName(v any) string {
	if m, ok := v.(map[string]any); ok && m["id"] != nil {
		return fmt.Sprint(m["id"])
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func listNames(items []any) []string {
	var out []string
	for _, it := range items {
		out = append(out, itemName(it))
	}
	return out
}

// mergeByID is old with each of items merged into the one of its id; ok is
// false when an item has no id that old has.
func mergeByID(old, items []any) (merged []any, ok bool) {
	merged = slices.Clone(old)
	for _, it := range items {
		i := slices.IndexFunc(merged, func(o any) bool { return sameID(o, it) })
		if i < 0 {
			return nil, false
		}
		merged[i] = mergePatch(merged[i], it)
	}
	return merged, true
}

// sameID reports whether a and b, items of a list of a JSON document, are
// objects with the same "id".
func sameID(a, b any) bool {
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	return am != nil && bm != nil && am["id"] != nil && am["id"] == bm["id"]
}

// mergePatch applies a JSON merge patch (RFC 7396) to target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

// configDoc is the whole configuration a config.set asks for: config, or
// the running one with patch applied.
func (o *Office) configDoc(whole, patch json.RawMessage) ([]byte, error) {
	switch {
	case len(whole) > 0 && len(patch) > 0:
		return nil, badArg("patch", "give config or patch, not both")
	case len(whole) > 0:
		// Read as JSON, and written again as the JSON the YAML reader
		// takes: JSON's own escapes (\/, a surrogate pair) are no YAML.
		var w any
		if err := json.Unmarshal(whole, &w); err != nil {
			return nil, badArg("config", "not JSON: %v", err)
		}
		return json.Marshal(w)
	case len(patch) == 0:
		return nil, badArg("config", "give config (the whole configuration) or patch (a JSON merge patch)")
	}
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, badArg("patch", "not JSON: %v", err)
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, badArg("patch", "a merge patch is a JSON object")
	}
	cur, err := o.runningDoc()
	if err != nil {
		return nil, err
	}
	return json.Marshal(mergePatch(cur, p))
}

// runningDoc is the running configuration as a decoded JSON document, for a
// merge patch.
func (o *Office) runningDoc() (map[string]any, error) {
	b, err := json.Marshal(o.running())
	if err != nil {
		return nil, err
	}
	var cur map[string]any
	return cur, json.Unmarshal(b, &cur)
}
