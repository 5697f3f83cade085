package session

import (
	"sync"

	"xprompt/core"
)

var (
	deviceHooksMu sync.Mutex
	deviceHooks   []func(*Session, core.Device) error
)

// OnDeviceChange registers f, which %device calls after switching the
// session to device d: packages whose magics hold models (package xpmagic)
// move them there.
func OnDeviceChange(f func(s *Session, d core.Device) error) {
	deviceHooksMu.Lock()
	defer deviceHooksMu.Unlock()
	deviceHooks = append(deviceHooks, f)
}

// moveModels runs the OnDeviceChange hooks.
func (s *Session) moveModels(d core.Device) error {
	deviceHooksMu.Lock()
	hooks := append([]func(*Session, core.Device) error(nil), deviceHooks...)
	deviceHooksMu.Unlock()
	for _, f := range hooks {
		if err := f(s, d); err != nil {
			return err
		}
	}
	return nil
}
