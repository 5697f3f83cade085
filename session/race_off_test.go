//go:build !race

package session

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = false
