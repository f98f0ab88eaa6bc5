package firmwareconfig

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed pinmaps/*.yaml
var pinmaps embed.FS

// PinMap returns the YAML of a bundled pin map by board name ("rpi-40pin"),
// for device.ParsePinMap; the error wraps fs.ErrNotExist for an unknown
// board.
func PinMap(board string) ([]byte, error) {
	return pinmaps.ReadFile("pinmaps/" + board + ".yaml")
}

// PinMaps lists the bundled pin maps' board names.
func PinMaps() []string {
	entries, _ := fs.ReadDir(pinmaps, "pinmaps") // an embedded directory always reads
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	slices.Sort(names)
	return names
}
