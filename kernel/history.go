package kernel

import (
	"regexp"
	"strings"
)

// maxHistory bounds the cells kept in memory.
const maxHistory = 10000

// historyEntry is one executed cell. output is the text/plain of its result,
// nil when it had none.
type historyEntry struct {
	line   int
	input  string
	output *string
}

// history is the in-memory record of the cells run with store_history. All
// cells belong to one session, numbered session.
type history struct {
	session int
	entries []historyEntry
}

func (h *history) add(line int, input string, output *string) {
	if len(h.entries) == maxHistory {
		h.entries = append(h.entries[:0], h.entries[maxHistory/10:]...)
	}
	h.entries = append(h.entries, historyEntry{line: line, input: input, output: output})
}

// historyRequest is the content of history_request.
type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query returns the entries selected by r, oldest first:
//
//   - "tail": the last n (all when n is absent);
//   - "range": lines start ≤ line < stop (stop absent: to the end) of session
//     0 (the current one, as in IPython) or h.session; other sessions are empty;
//   - "search": inputs matching the glob pattern (* and ?), the last n.
//
// unique keeps only the last occurrence of each input for tail and search.
func (h *history) query(r historyRequest) []historyEntry {
	var sel []historyEntry
	switch r.HistAccessType {
	case "tail":
		sel = h.entries
		if r.Unique {
			sel = uniqueInputs(sel)
		}
		sel = lastN(sel, r.N)
	case "range":
		if r.Session != 0 && r.Session != h.session {
			return nil
		}
		for _, e := range h.entries {
			if e.line >= r.Start && (r.Stop == nil || e.line < *r.Stop) {
				sel = append(sel, e)
			}
		}
	case "search":
		re := globRegexp(r.Pattern)
		for _, e := range h.entries {
			if re.MatchString(e.input) {
				sel = append(sel, e)
			}
		}
		if r.Unique {
			sel = uniqueInputs(sel)
		}
		sel = lastN(sel, r.N)
	}
	return sel
}

func lastN(es []historyEntry, n *int) []historyEntry {
	if n != nil && *n >= 0 && *n < len(es) {
		return es[len(es)-*n:]
	}
	return es
}

// uniqueInputs keeps the last occurrence of each input, in order.
func uniqueInputs(es []historyEntry) []historyEntry {
	last := map[string]int{}
	for i, e := range es {
		last[e.input] = i
	}
	var out []historyEntry
	for i, e := range es {
		if last[e.input] == i {
			out = append(out, e)
		}
	}
	return out
}

// globRegexp compiles a glob (* any run, ? any one character) that must
// match the whole input.
func globRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// historyReply answers history_request with [session, line, input] triples,
// or [session, line, [input, output]] when output is asked for.
func (k *Kernel) historyReply(req *request) {
	var c historyRequest
	if !k.decode(req, &c) {
		return
	}
	sel := k.hist.query(c)
	items := make([]any, 0, len(sel))
	for _, e := range sel {
		if c.Output {
			items = append(items, []any{k.hist.session, e.line, []any{e.input, e.output}})
		} else {
			items = append(items, []any{k.hist.session, e.line, e.input})
		}
	}
	k.reply(req, "history_reply", map[string]any{"status": "ok", "history": items})
}
