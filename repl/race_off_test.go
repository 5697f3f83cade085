//go:build !race

package repl

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = false
