package kernel

import (
	"time"
)

// Stopping "Run All" at the first error. A front end sends all the cells'
// execute_requests at once; when the first fails fast, some of the later
// ones are still on their way (through the notebook server) when the error
// reply leaves, so aborting only those already queued lets others run. The
// requests to abort are those the client sent before it could have read the
// error reply: their header's date is earlier than the reply's. A request
// dated after the reply, or without a date, runs and ends the aborting; so
// does the end of abortWindow, in case the client's clock runs behind.

// errorSettle is how long a failed cell's reply waits, with stop_on_error,
// before it is sent: long enough for a browser to finish sending a Run All
// burst (a few milliseconds per cell), short enough not to be noticed.
const errorSettle = 100 * time.Millisecond

// abortWindow bounds how long after a failed cell requests dated before its
// reply are aborted.
const abortWindow = 10 * time.Second

// abortState is the worker's memory of the last failed cell with
// stop_on_error (zero when none).
type abortState struct {
	repliedAt time.Time // when the error reply was sent
}

// start records a failed cell's reply at t.
func (a *abortState) start(t time.Time) { a.repliedAt = t }

// shouldAbort reports whether an execute_request with header date
// date (RFC 3339, as clients write it) was sent before the error reply, and
// ends the aborting when it was not.
func (a *abortState) shouldAbort(date string, now time.Time) bool {
	if a.repliedAt.IsZero() {
		return false
	}
	sent, err := parseDate(date)
	// Browsers write milliseconds: compare at that precision.
	if err != nil || now.Sub(a.repliedAt) > abortWindow || !sent.Before(a.repliedAt.Truncate(time.Millisecond)) {
		a.repliedAt = time.Time{}
		return false
	}
	return true
}

// parseDate parses a header date: RFC 3339 with or without fractional
// seconds; a date without a zone (old clients) is taken as UTC.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}
