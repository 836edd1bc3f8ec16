// Package tuitest helps tests watch the TUI as a person would: whole
// screens, one frame at a time, rather than teatest's output stream, which
// holds only what changed between frames.
package tuitest

import (
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Screen wraps a model and keeps the last frame it drew as plain text.
// Run the Screen under teatest in place of the model.
type Screen struct {
	tea.Model
	mu     sync.Mutex
	text   string
	frames chan struct{} // a frame was drawn
}

// NewScreen wraps m.
func NewScreen(m tea.Model) *Screen {
	return &Screen{Model: m, frames: make(chan struct{}, 1)}
}

// Update passes msg to the model and keeps the Screen in the program.
func (s *Screen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := s.Model.Update(msg)
	s.Model = m
	return s, cmd
}

// View draws the model and keeps the frame.
func (s *Screen) View() tea.View {
	v := s.Model.View()
	s.mu.Lock()
	s.text = ansi.Strip(v.Content)
	s.mu.Unlock()
	select {
	case s.frames <- struct{}{}:
	default:
	}
	return v
}

// Current is the last frame drawn, without colours.
func (s *Screen) Current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text
}

// WaitFor waits up to timeout for a frame that cond accepts and returns it;
// the test fails, showing the last frame, when none comes.
func (s *Screen) WaitFor(tb testing.TB, what string, timeout time.Duration, cond func(screen string) bool) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		if text := s.Current(); cond(text) {
			return text
		}
		select {
		case <-s.frames:
		case <-deadline:
			tb.Fatalf("%s: not shown within %s; the screen:\n%s", what, timeout, s.Current())
		}
	}
}
