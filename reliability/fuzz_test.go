package reliability

import "testing"

func TestDeadlineRace(t *testing.T) {
	race := "fuzz: elapsed: 10s, execs: 136995 (13247/sec), new interesting: 3 (total: 61)\n" +
		"--- FAIL: FuzzParseMessage (10.13s)\n    context deadline exceeded\nFAIL\nexit status 1\n"
	finding := "--- FAIL: FuzzParseMessage (0.20s)\n    --- FAIL: FuzzParseMessage (0.00s)\n" +
		"        parse_test.go:40: bad frame\n\n    Failing input written to testdata/fuzz/FuzzParseMessage/abc\n" +
		"    context deadline exceeded\nFAIL\n"
	crash := "--- FAIL: FuzzLoad (1.02s)\n    context deadline exceeded\npanic: runtime error: index out of range\n"
	other := "--- FAIL: FuzzLoad (0.01s)\n    load_test.go:12: round trip differs\nFAIL\n"
	for _, c := range []struct {
		name, out string
		want      bool
	}{{"deadline only", race, true}, {"failing input", finding, false}, {"panic", crash, false}, {"other failure", other, false}} {
		if got := deadlineRace([]byte(c.out)); got != c.want {
			t.Errorf("%s: deadlineRace = %v, want %v", c.name, got, c.want)
		}
	}
}
