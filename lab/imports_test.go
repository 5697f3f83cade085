package lab

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules checks the data flow of ARCHITECTURE.md: lab, infer and
// model depend on neither the training loop nor the interactive layer (lab
// trains through the Trainer it is given), and model not on data.
func TestImportRules(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies")
	}
	forbidden := map[string][]string{
		"xprompt/lab":   {"xprompt/train", "xprompt/session"},
		"xprompt/infer": {"xprompt/train", "xprompt/session", "xprompt/lab"},
		"xprompt/model": {"xprompt/train", "xprompt/session", "xprompt/data"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 3 || deps[len(deps)-1] != pkg {
			t.Fatalf("go list -deps %s: unexpected output %q", pkg, out)
		}
		for _, d := range deps {
			for _, b := range bad {
				if d == b || strings.HasPrefix(d, b+"/") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}
