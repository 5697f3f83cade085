package view

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"xprompt/display"
)

// Tabular is implemented by values that are tables: column headers and rows
// of cells. Render shows them as HTML, Markdown and aligned text. Packages that
// cannot import view implement it to be shown as tables.
type Tabular interface {
	TableHeaders() []string
	TableRows() [][]string
}

// Table is a grid of strings with column headers and an optional title.
// Rows shorter than Headers are padded with empty cells.
type Table struct {
	Title   string
	Headers []string
	Rows    [][]string
}

// NewTable returns an empty table with the given column headers.
func NewTable(headers ...string) *Table { return &Table{Headers: headers} }

// Add appends a row; each cell is formatted with fmt's %v (float32 and
// float64 with %.4g).
func (t *Table) Add(cells ...any) *Table {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case float32:
			row[i] = fmt.Sprintf("%.4g", v)
		case float64:
			row[i] = fmt.Sprintf("%.4g", v)
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	t.Rows = append(t.Rows, row)
	return t
}

// TableHeaders returns the headers (Tabular).
func (t *Table) TableHeaders() []string { return t.Headers }

// TableRows returns the rows (Tabular).
func (t *Table) TableRows() [][]string { return t.Rows }

// Display renders the table as text, Markdown and HTML.
func (t *Table) Display() display.Bundle { return tableBundle(t.Title, t.Headers, t.Rows) }

// String returns the aligned text form.
func (t *Table) String() string { return tableText(t.Title, t.Headers, t.Rows) }

func tableBundle(title string, headers []string, rows [][]string) display.Bundle {
	return display.Bundle{Data: map[string]any{
		display.MIMEText:     tableText(title, headers, rows),
		display.MIMEMarkdown: tableMarkdown(title, headers, rows),
		display.MIMEHTML:     tableHTML(title, headers, rows),
	}}
}

// columns returns the number of columns of a table.
func columns(headers []string, rows [][]string) int {
	n := len(headers)
	for _, r := range rows {
		n = max(n, len(r))
	}
	return n
}

func cell(r []string, j int) string {
	if j < len(r) {
		return r[j]
	}
	return ""
}

// tableText aligns the columns with two spaces between them and a rule under
// the headers.
func tableText(title string, headers []string, rows [][]string) string {
	nc := columns(headers, rows)
	w := make([]int, nc)
	for j := range nc {
		w[j] = utf8.RuneCountInString(cell(headers, j))
		for _, r := range rows {
			w[j] = max(w[j], utf8.RuneCountInString(cell(r, j)))
		}
	}
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n")
	}
	line := func(r []string) {
		var l strings.Builder
		for j := range nc {
			if j > 0 {
				l.WriteString("  ")
			}
			c := cell(r, j)
			l.WriteString(c + strings.Repeat(" ", w[j]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	if len(headers) > 0 {
		line(headers)
		rule := make([]string, nc)
		for j := range rule {
			rule[j] = strings.Repeat("-", w[j])
		}
		line(rule)
	}
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

func tableMarkdown(title string, headers []string, rows [][]string) string {
	nc := columns(headers, rows)
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	var b strings.Builder
	if title != "" {
		b.WriteString("**" + esc(title) + "**\n\n")
	}
	line := func(r []string) {
		b.WriteString("|")
		for j := range nc {
			b.WriteString(" " + esc(cell(r, j)) + " |")
		}
		b.WriteString("\n")
	}
	line(headers)
	b.WriteString("|" + strings.Repeat(" --- |", nc) + "\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

func tableHTML(title string, headers []string, rows [][]string) string {
	nc := columns(headers, rows)
	var b strings.Builder
	b.WriteString("<table>\n")
	if title != "" {
		b.WriteString("<caption>" + html.EscapeString(title) + "</caption>\n")
	}
	if len(headers) > 0 {
		b.WriteString("<thead><tr>")
		for j := range nc {
			b.WriteString("<th>" + html.EscapeString(cell(headers, j)) + "</th>")
		}
		b.WriteString("</tr></thead>\n")
	}
	b.WriteString("<tbody>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for j := range nc {
			b.WriteString("<td>" + html.EscapeString(cell(r, j)) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// GroupDigits writes n with its digits in groups of three: 1,234,567.
func GroupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
