package lab

import (
	"math"
	"strings"
	"testing"

	"xprompt/display"
)

// handTable is a small table with a missing metric and a non-finite one.
func handTable() *Table {
	t := &Table{Name: "demo", Caption: "A demo table.", Columns: []Column{{"PSNR", 2}, {"acc", 3}}}
	t.Add(Row{Name: "no context", Metrics: map[string]float64{"PSNR": 12.345, "acc": 0.5}, Seed: 7, Command: "xprompt eval --row 'no context'"})
	t.Add(Row{Name: "a|b <x>", Metrics: map[string]float64{"PSNR": math.NaN()}, Seed: 8, Command: "cmd2"})
	return t
}

func TestTableMarkdown(t *testing.T) {
	want := "### demo\n\nA demo table.\n\n" +
		"| row | PSNR | acc |\n| --- | ---: | ---: |\n" +
		"| no context | 12.35 | 0.500 |\n" +
		"| a\\|b <x> | n/a | – |\n\n" +
		"- no context (seed 7): `xprompt eval --row 'no context'`\n" +
		"- a\\|b <x> (seed 8): `cmd2`\n"
	if got := handTable().Markdown(); got != want {
		t.Fatalf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableHTML(t *testing.T) {
	want := "<table class=\"lab\" id=\"demo\">\n<caption><b>demo</b>: A demo table.</caption>\n" +
		"<thead><tr><th>row</th><th>PSNR</th><th>acc</th><th>seed</th><th>command</th></tr></thead>\n<tbody>\n" +
		"<tr><td>no context</td><td align=\"right\">12.35</td><td align=\"right\">0.500</td><td>7</td><td><code>xprompt eval --row &#39;no context&#39;</code></td></tr>\n" +
		"<tr><td>a|b &lt;x&gt;</td><td align=\"right\">n/a</td><td align=\"right\">–</td><td>8</td><td><code>cmd2</code></td></tr>\n" +
		"</tbody>\n</table>\n"
	if got := handTable().HTML(); got != want {
		t.Fatalf("HTML:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableJSON(t *testing.T) {
	want := `{"table":"demo","row":"no context","metrics":{"PSNR":12.345,"acc":0.5},"seed":7,"command":"xprompt eval --row 'no context'"}` + "\n" +
		`{"table":"demo","row":"a|b \u003cx\u003e","metrics":{"PSNR":null},"seed":8,"command":"cmd2"}` + "\n"
	if got := handTable().JSON(); got != want {
		t.Fatalf("JSON:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableTextAndDisplay(t *testing.T) {
	tb := handTable()
	want := "demo: A demo table.\n" +
		"row          PSNR    acc\n" +
		"no context  12.35  0.500\n" +
		"a|b <x>       n/a      –\n"
	if got := tb.String(); got != want {
		t.Fatalf("String:\n%q\nwant:\n%q", got, want)
	}
	b := tb.Display()
	for mime, want := range map[string]string{display.MIMEHTML: tb.HTML(), display.MIMEMarkdown: tb.Markdown(), display.MIMEText: tb.String()} {
		if got, _ := b.Data[mime].(string); got != want {
			t.Errorf("Display %s: got %q", mime, got)
		}
	}
	var _ display.Displayer = tb
}

func TestShellQuote(t *testing.T) {
	cases := []struct{ in, want string }{
		{"novel_tasks", "novel_tasks"},
		{"S=4", "S=4"},
		{"no context", "'no context'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
		{"32×32", "'32×32'"},
	}
	for _, c := range cases {
		if got := ShellQuote(c.in); got != c.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestRowCommandAndFilter(t *testing.T) {
	c := QuickConfig()
	if got, want := c.command("raie", "no example"), "xprompt eval --suite quick --seed 1 --table raie --row 'no example'"; got != want {
		t.Errorf("command = %q, want %q", got, want)
	}
	c.Rows = []string{" No Example "}
	if !c.wants("no example") || c.wants("retrieved example") {
		t.Error("Rows filter: want case-insensitive exact match on the row name")
	}
	if !strings.Contains(c.newRow("raie", "no example").Command, "--row 'no example'") {
		t.Error("newRow does not record the row's command")
	}
}
