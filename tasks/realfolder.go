package tasks

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"xprompt/img"
	"xprompt/regularfile"
)

// LoadFolder reads real image pairs laid out as
//
//	DIR/NAME/input/FILE.png|jpg|jpeg
//	DIR/NAME/output/FILE.*          (matched to the input by name without extension)
//	DIR/NAME/instructions.txt       (optional: one instruction per line)
//
// Every NAME folder is one task: its pairs get Family NAME and, in file-name
// order, the instructions of instructions.txt in turn (blank lines and lines
// starting with # are skipped; without the file the instruction is NAME).
// Images are centre-cropped to a square and resized to size×size.
//
// A file that cannot be used (corrupt, not an image, without its partner,
// a second file of the same name) or a NAME folder without input/ or output/
// yields an error naming it in errs, and the rest still loads. err is set
// only when DIR itself cannot be read, holds no task folder, or size < 1.
func LoadFolder(dir string, size int) (pairs []Example, errs []error, err error) {
	if size < 1 {
		return nil, nil, fmt.Errorf("tasks.LoadFolder: bad image size %d", size)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("tasks.LoadFolder: %w", err)
	}
	tasksFound := 0
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			errs = append(errs, fmt.Errorf("tasks.LoadFolder: %s: not a task folder", path))
			continue
		}
		tasksFound++
		ps, es := loadTask(path, e.Name(), size)
		pairs = append(pairs, ps...)
		errs = append(errs, es...)
	}
	if tasksFound == 0 {
		return nil, errs, fmt.Errorf("tasks.LoadFolder: %s holds no task folder (NAME/input, NAME/output)", dir)
	}
	return pairs, errs, nil
}

// loadTask reads one NAME folder.
func loadTask(dir, name string, size int) (pairs []Example, errs []error) {
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf("tasks.LoadFolder: "+format, a...)) }
	inputs, es := imageFiles(filepath.Join(dir, "input"))
	errs = append(errs, es...)
	outputs, es := imageFiles(filepath.Join(dir, "output"))
	errs = append(errs, es...)
	instr, err := readInstructions(filepath.Join(dir, "instructions.txt"))
	if err != nil {
		errs = append(errs, err)
	}
	if len(instr) == 0 {
		instr = []string{name}
	}
	for _, stem := range sortedKeys(outputs) {
		if _, ok := inputs[stem]; !ok {
			fail("%s: no matching input", outputs[stem])
		}
	}
	for _, stem := range sortedKeys(inputs) {
		out, ok := outputs[stem]
		if !ok {
			fail("%s: no matching output", inputs[stem])
			continue
		}
		a, errA := loadSquare(inputs[stem], size)
		b, errB := loadSquare(out, size)
		if errA != nil || errB != nil {
			for _, e := range []error{errA, errB} {
				if e != nil {
					errs = append(errs, fmt.Errorf("tasks.LoadFolder: %w", e))
				}
			}
			continue
		}
		pairs = append(pairs, Example{
			Family: name, Instruction: instr[len(pairs)%len(instr)],
			Input: a, Output: b,
		})
	}
	return pairs, errs
}

// imageFiles maps the names without extension of the PNG and JPEG files of
// dir to their paths; other entries and repeated names are errors.
func imageFiles(dir string) (map[string]string, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{fmt.Errorf("tasks.LoadFolder: %w", err)}
	}
	files := map[string]string{}
	var errs []error
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.Type().IsRegular() || (ext != ".png" && ext != ".jpg" && ext != ".jpeg") {
			errs = append(errs, fmt.Errorf("tasks.LoadFolder: %s: not a PNG or JPEG file", path))
			continue
		}
		stem := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if prev, dup := files[stem]; dup {
			errs = append(errs, fmt.Errorf("tasks.LoadFolder: %s: same name as %s", path, prev))
			continue
		}
		files[stem] = path
	}
	return files, errs
}

// maxInstructionBytes bounds an instructions.txt.
const maxInstructionBytes = 1 << 20

// readInstructions returns the instruction lines of path; a missing file
// gives none and no error.
func readInstructions(path string) ([]string, error) {
	b, err := regularfile.Read(path, maxInstructionBytes)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tasks.LoadFolder: %w", err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tasks.LoadFolder: %s: %w", path, err)
	}
	return lines, nil
}

// loadSquare loads an image, crops its centre square and resizes it to size×size.
func loadSquare(path string, size int) (*img.Image, error) {
	m, err := img.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return img.Resize(img.CenterCrop(m), size, size), nil
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
