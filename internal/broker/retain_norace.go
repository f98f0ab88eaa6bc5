//go:build !race

package broker

import mqtt "github.com/mochi-mqtt/server/v2"

// addRaceHooks adds nothing outside the race detector: see retain_race.go.
func addRaceHooks(*mqtt.Server) error { return nil }
