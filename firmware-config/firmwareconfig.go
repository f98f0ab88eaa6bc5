// Package firmwareconfig holds the configuration files of cherga: the default
// office (embedded in every binary, so cherga runs with no file at all) and
// example offices.
package firmwareconfig

import (
	"embed"

	"github.com/cherga/cherga/internal/config"
)

//go:embed default.yaml examples/*.yaml
var files embed.FS

// Default returns the default office.
func Default() *config.Config {
	c, err := Example("default")
	if err != nil {
		panic(err) // the embedded file is tested; it cannot be invalid
	}
	return c
}

// Example returns a bundled office: "default" or the name of a file in
// examples/ without its extension ("round-the-clock").
func Example(name string) (*config.Config, error) {
	path := "examples/" + name + ".yaml"
	if name == "default" {
		path = "default.yaml"
	}
	b, err := files.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return config.Parse(b)
}

// Raw returns the bytes of a bundled file, for chergactl and docs.
func Raw(path string) ([]byte, error) { return files.ReadFile(path) }
