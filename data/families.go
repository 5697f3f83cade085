package data

import (
	"fmt"

	"xprompt/tasks"
)

// trainFamilies returns the candidate image families of the stream: the seen
// families, then the held-out families named in c.Include (each once). A
// name that is unknown or not held out is an error: seen families are
// already in the stream.
func (c Config) trainFamilies() ([]*tasks.Family, error) {
	fams := tasks.Seen()
	listed := map[string]bool{}
	for _, n := range c.Include {
		f, err := tasks.ByName(n)
		if err != nil {
			return nil, err
		}
		if !f.HeldOut {
			return nil, fmt.Errorf("data: Include lists %s, which is not a held-out family", n)
		}
		if !listed[f.Name] {
			listed[f.Name] = true
			fams = append(fams, f)
		}
	}
	return fams, nil
}
