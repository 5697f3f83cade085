//go:build !race

package train

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = false
