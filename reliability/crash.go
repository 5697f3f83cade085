package reliability

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"xprompt/atomicfile"
	"xprompt/img"
	"xprompt/model"
	"xprompt/vq"
)

// The files a crash writer rewrites without end: a checkpoint, an image
// tokenizer and an image (the project has no other kind of saved prompt;
// compressed prompts live in checkpoints and memory).
const (
	crashCheckpoint = "model.ckpt"
	crashTokenizer  = "tokenizer.vq"
	crashImage      = "image.png"
)

// CrashWriter saves the three files in dir over and over, each time with
// different contents, until the process is killed. It saves each once
// before returning an error, so that a parent can start from whole files.
func CrashWriter(dir string, once bool) error {
	tok, err := vq.Default()
	if err != nil {
		return err
	}
	if !once {
		fmt.Println("ready") // Kill9 starts its clock here
	}
	for i := uint64(1); ; i++ {
		m, err := model.New(model.Presets["tiny"], i)
		if err != nil {
			return err
		}
		if err := (&model.Checkpoint{Model: m}).Save(filepath.Join(dir, crashCheckpoint), i%2 == 0); err != nil {
			return err
		}
		save := tok.Save
		if i%2 == 0 {
			save = tok.SaveFloat16
		}
		if err := atomicfile.Write(filepath.Join(dir, crashTokenizer), 0o644, save); err != nil {
			return err
		}
		im := img.New(64, 64)
		for j := range im.Pix {
			im.Pix[j] = float32((uint64(j)*i)%255) / 255
		}
		if err := img.SavePNG(filepath.Join(dir, crashImage), im); err != nil {
			return err
		}
		if once {
			return nil
		}
	}
}

// CheckSaved loads the three files of dir; the error names the first that
// does not load, or a temporary file left where a reader would see it.
func CheckSaved(dir string) error {
	if _, err := model.Load(filepath.Join(dir, crashCheckpoint)); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, crashTokenizer))
	if err != nil {
		return err
	}
	if _, err := vq.Load(bytes.NewReader(b)); err != nil {
		return fmt.Errorf("%s: %w", crashTokenizer, err)
	}
	if _, err := img.LoadFile(filepath.Join(dir, crashImage)); err != nil {
		return err
	}
	return nil
}

// CrashResult counts the kills and the loads after them.
type CrashResult struct {
	Kills, Loaded int
	// Rewritten counts the kills after which some file had changed: the
	// writer was at work, not still starting.
	Rewritten int
	Failures  []string
}

// stamp identifies the current versions of the files of dir.
func stamp(dir string) string {
	var s string
	for _, name := range []string{crashCheckpoint, crashTokenizer, crashImage} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil {
			s += fmt.Sprint(st.ModTime().UnixNano(), st.Size(), ";")
		}
	}
	return s
}

// Kill9 starts writer (a process running CrashWriter on dir) kills times,
// kills it with SIGKILL a random 0–200 ms after it is ready, and checks after each kill
// that the files in dir load. dir must hold whole files first.
func Kill9(dir string, kills int, writer func() *exec.Cmd) (CrashResult, error) {
	var r CrashResult
	if err := CheckSaved(dir); err != nil {
		return r, fmt.Errorf("before the first kill: %w", err)
	}
	for range kills {
		before := stamp(dir)
		cmd := writer()
		out, err := cmd.StdoutPipe()
		if err != nil {
			return r, err
		}
		if err := cmd.Start(); err != nil {
			return r, err
		}
		bufio.NewReader(out).ReadString('\n') // "ready"
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		r.Kills++
		if stamp(dir) != before {
			r.Rewritten++
		}
		if err := CheckSaved(dir); err != nil {
			r.Failures = append(r.Failures, err.Error())
			continue
		}
		r.Loaded++
	}
	return r, nil
}
