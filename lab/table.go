package lab

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"xprompt/display"
	"xprompt/img"
)

// Column is one metric column of a Table: the metric's key in Row.Metrics
// and the number of decimals it is shown with.
type Column struct {
	Name   string
	Digits int
}

// Row is one line of a Table: a name, metric values keyed by column name, and
// the seed and exact command that produced it. A column missing from Metrics
// is shown as "–" and left out of the JSON; a non-finite value is shown as
// "n/a" and written as null.
type Row struct {
	Name    string
	Metrics map[string]float64
	Seed    uint64
	Command string
}

// Table is one of the paper's tables reproduced at toy scale.
type Table struct {
	Name    string // identifier, e.g. "novel_tasks"; what --table selects
	Caption string // what the table shows and how it was measured
	Columns []Column
	Rows    []Row
	// Figure is an example grid for the report (not part of the JSON); nil
	// when the table has none. FigureCaption says what its cells are.
	Figure        *img.Image
	FigureCaption string
}

// Add appends a row.
func (t *Table) Add(r Row) { t.Rows = append(t.Rows, r) }

// Row returns the row called name, or nil.
func (t *Table) Row(name string) *Row {
	for i := range t.Rows {
		if t.Rows[i].Name == name {
			return &t.Rows[i]
		}
	}
	return nil
}

// cell formats the value of column c in row r.
func (r Row) cell(c Column) string {
	v, ok := r.Metrics[c.Name]
	switch {
	case !ok:
		return "–"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', c.Digits, 64)
}

// Markdown renders the table as a level-3 heading with the name, the
// caption, a pipe table (row names left-aligned, metrics right-aligned) and
// a list giving each row's seed and command.
func (t *Table) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", t.Name)
	if t.Caption != "" {
		fmt.Fprintf(&b, "%s\n\n", t.Caption)
	}
	b.WriteString("| row |")
	for _, c := range t.Columns {
		fmt.Fprintf(&b, " %s |", mdEscape(c.Name))
	}
	b.WriteString("\n| --- |")
	for range t.Columns {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s |", mdEscape(r.Name))
		for _, c := range t.Columns {
			fmt.Fprintf(&b, " %s |", r.cell(c))
		}
		b.WriteString("\n")
	}
	if len(t.Rows) > 0 {
		b.WriteString("\n")
		for _, r := range t.Rows {
			fmt.Fprintf(&b, "- %s (seed %d): `%s`\n", mdEscape(r.Name), r.Seed, r.Command)
		}
	}
	return b.String()
}

// mdEscape escapes the characters that would break a Markdown table cell.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// HTML renders the table as an HTML table with the caption, one row per
// Row, and the seed and command as the last two columns.
func (t *Table) HTML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<table class=\"lab\" id=\"%s\">\n<caption><b>%s</b>", html.EscapeString(t.Name), html.EscapeString(t.Name))
	if t.Caption != "" {
		fmt.Fprintf(&b, ": %s", html.EscapeString(t.Caption))
	}
	b.WriteString("</caption>\n<thead><tr><th>row</th>")
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(c.Name))
	}
	b.WriteString("<th>seed</th><th>command</th></tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "<tr><td>%s</td>", html.EscapeString(r.Name))
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "<td align=\"right\">%s</td>", r.cell(c))
		}
		fmt.Fprintf(&b, "<td>%d</td><td><code>%s</code></td></tr>\n", r.Seed, html.EscapeString(r.Command))
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// String renders the table as aligned plain text (name, caption, columns).
func (t *Table) String() string {
	head := append([]string{"row"}, make([]string, len(t.Columns))...)
	for j, c := range t.Columns {
		head[j+1] = c.Name
	}
	cells := [][]string{head}
	for _, r := range t.Rows {
		line := []string{r.Name}
		for _, c := range t.Columns {
			line = append(line, r.cell(c))
		}
		cells = append(cells, line)
	}
	width := make([]int, len(head))
	for _, line := range cells {
		for j, s := range line {
			width[j] = max(width[j], len([]rune(s)))
		}
	}
	var b strings.Builder
	b.WriteString(t.Name)
	if t.Caption != "" {
		b.WriteString(": " + t.Caption)
	}
	b.WriteString("\n")
	for _, line := range cells {
		for j, s := range line {
			pad := strings.Repeat(" ", width[j]-len([]rune(s)))
			if j == 0 {
				b.WriteString(s + pad)
			} else {
				b.WriteString("  " + pad + s)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// jsonFloat writes non-finite values as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// rowRecord is the JSON form of one row.
type rowRecord struct {
	Table   string               `json:"table"`
	Row     string               `json:"row"`
	Metrics map[string]jsonFloat `json:"metrics"`
	Seed    uint64               `json:"seed"`
	Command string               `json:"command"`
}

// records returns the rows as JSON records, in order.
func (t *Table) records() []rowRecord {
	out := make([]rowRecord, len(t.Rows))
	for i, r := range t.Rows {
		m := make(map[string]jsonFloat, len(r.Metrics))
		for k, v := range r.Metrics {
			m[k] = jsonFloat(v)
		}
		out[i] = rowRecord{Table: t.Name, Row: r.Name, Metrics: m, Seed: r.Seed, Command: r.Command}
	}
	return out
}

// JSON renders one JSON object per row, each on its own line:
// {"table":…,"row":…,"metrics":{…},"seed":…,"command":…}, metric keys
// sorted.
func (t *Table) JSON() string {
	var b strings.Builder
	for _, rec := range t.records() {
		line, err := json.Marshal(rec)
		if err != nil {
			panic("lab.Table.JSON: " + err.Error()) // strings, finite floats and integers always encode
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Display shows the table in notebooks (HTML), Markdown front ends and
// terminals (aligned text).
func (t *Table) Display() display.Bundle {
	return display.Bundle{Data: map[string]any{
		display.MIMEHTML:     t.HTML(),
		display.MIMEMarkdown: t.Markdown(),
		display.MIMEText:     t.String(),
	}}
}
