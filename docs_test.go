package xprompt_test

// The repository stands alone: every relative link in its Markdown resolves
// to a file or folder inside it, and no file points into a sibling folder
// that only the authors' machines have.

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// outside is the prefix of paths into the authors' design folder, built so
// that this file does not mention it.
var outside = ".." + "/" + "shared"

// mdLink matches the target of an inline link or image, ](target) or
// ](target "title"), of a reference definition, [name]: target, and of an
// HTML src or href attribute.
var mdLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|(?m)^\s{0,3}\[[^\]]+\]:\s*(\S+)|(?:src|href)="([^"]+)"`)

// skipDirs are folders of build and run outputs (see .gitignore) and of
// version control.
var skipDirs = []string{".git", "xprompt-demo", "runs", "bin", "models"}

// docProblems returns one line per broken relative link in the *.md files
// under root and per file under root that mentions outside.
func docProblems(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if path != root && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err != nil || !info.Mode().IsRegular() || info.Size() > 4<<20 {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return nil // binary
		}
		if bytes.Contains(b, []byte(outside)) {
			out = append(out, fmt.Sprintf("%s mentions %s, which a clone of the repository does not have", rel, outside))
		}
		if strings.HasSuffix(path, ".md") {
			out = append(out, brokenLinks(root, rel, string(b))...)
		}
		return nil
	})
	return out, err
}

// brokenLinks checks the relative links of the Markdown file rel (under
// root) whose text is text.
func brokenLinks(root, rel, text string) []string {
	var out []string
	for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
		target := m[1] + m[2] + m[3]
		if target == "" || strings.HasPrefix(target, "#") || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		target, _, _ = strings.Cut(target, "?")
		if t, err := url.PathUnescape(target); err == nil {
			target = t
		}
		var p string
		if strings.HasPrefix(target, "/") {
			p = filepath.Join(root, filepath.FromSlash(target))
		} else {
			p = filepath.Join(root, filepath.Dir(rel), filepath.FromSlash(target))
		}
		if r, err := filepath.Rel(root, p); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			out = append(out, fmt.Sprintf("%s: link %q leaves the repository", rel, m[0]))
			continue
		}
		if _, err := os.Stat(p); err != nil {
			out = append(out, fmt.Sprintf("%s: link %q: no such file in the repository", rel, m[0]))
		}
	}
	return out
}

func TestDocsStandAlone(t *testing.T) {
	problems, err := docProblems(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	// The README links the architecture notes.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "](ARCHITECTURE.md)") {
		t.Error("README.md does not link ARCHITECTURE.md")
	}
}

// TestDocProblemsFindsThem runs the check on a small tree with one good
// link of each form and each kind of problem.
func TestDocProblemsFindsThem(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/NOTES.md", "x")
	write("a/b.go", "// see "+outside+"/DESIGN.md\npackage a\n")
	write("README.md", strings.Join([]string{
		"[notes](a/NOTES.md) [folder](a/) [anchor](#top) [web](https://example.com/x.md)",
		"![pic](a/NOTES.md \"title\") [frag](a/NOTES.md#part) <img src=\"a/NOTES.md\">",
		"[ref]: a/NOTES.md",
		"[gone](a/MISSING.md) [up](../elsewhere.md) [design](" + outside + "/DESIGN.md)",
		"[gone ref]: b/none.md",
	}, "\n"))
	got, err := docProblems(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md mentions " + outside,
		`README.md: link "](a/MISSING.md)": no such file`,
		`README.md: link "](../elsewhere.md)" leaves the repository`,
		`README.md: link "](` + outside + `/DESIGN.md)" leaves the repository`,
		"b/none.md\": no such file",
		filepath.Join("a", "b.go") + " mentions " + outside,
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, w)
		}
		if !found {
			t.Errorf("no problem reported like %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
}
