package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// maxEditedBody bounds what is read back from the editor: Calendly's
// bodies are a few KB, and the listener refuses far less than this.
const maxEditedBody = 4 << 20

// editorCommand is the user's editor: $VISUAL, else $EDITOR, else vi.
// It may carry arguments ("code -w").
func editorCommand(getenv func(string) string) []string {
	for _, name := range []string{"VISUAL", "EDITOR"} {
		if f := strings.Fields(getenv(name)); len(f) > 0 {
			return f
		}
	}
	return []string{"vi"}
}

// editDelivery writes delivery id's body to a temporary file and opens it
// in the editor; what is saved is sent, re-signed (the e key).
func (m *Model) editDelivery(id int64) tea.Cmd {
	if id == 0 {
		return nil
	}
	if _, err := m.replayer(); err != nil {
		m.setFlash(sevBad, "✗ "+err.Error())
		return m.expireFlash()
	}
	reader := m.reader
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		rec, err := reader.Delivery(ctx, id)
		if err != nil {
			return actionFailed{err}
		}
		if rec.BodyTruncated {
			return actionFailed{fmt.Errorf("delivery %d kept only %d of its %d bytes; it cannot be edited and sent", id, len(rec.Body), rec.BodySize)}
		}
		f, err := os.CreateTemp("", fmt.Sprintf("calwatch-delivery-%d-*.json", id))
		if err != nil {
			return actionFailed{fmt.Errorf("cannot make a file to edit delivery %d: %w", id, err)}
		}
		_, werr := f.Write(rec.Body)
		if err := errors.Join(werr, f.Close()); err != nil {
			os.Remove(f.Name())
			return actionFailed{fmt.Errorf("cannot write %s to edit: %w", f.Name(), err)}
		}
		return editReady{id: id, path: f.Name()}
	}
}

// runEditor hands the terminal to the editor until it exits.
func (m *Model) runEditor(msg editReady) tea.Cmd {
	argv := append(append([]string{}, m.editor...), msg.path)
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:gosec // the user's own $EDITOR
	return tea.ExecProcess(cmd, func(err error) tea.Msg {
		return editorClosed{id: msg.id, path: msg.path, err: err}
	})
}

// sendEdited reads what the editor saved, removes the file and sends it.
func (m *Model) sendEdited(msg editorClosed) tea.Cmd {
	if msg.err != nil {
		os.Remove(msg.path)
		m.setFlash(sevBad, fmt.Sprintf("✗ the editor %s failed (%s); nothing was sent", m.editor[0], outside(msg.err.Error())))
		return m.expireFlash()
	}
	body, err := readEdited(msg.path)
	os.Remove(msg.path)
	if err != nil {
		m.setFlash(sevBad, "✗ "+outside(err.Error()))
		return m.expireFlash()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		m.setFlash(sevInfo, "the edited body is empty; nothing was sent")
		return m.expireFlash()
	}
	return m.replay(msg.id, body, true)
}

func readEdited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the edited body: %w", err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, maxEditedBody+1)); err != nil {
		return nil, fmt.Errorf("cannot read the edited body: %w", err)
	}
	if b.Len() > maxEditedBody {
		return nil, fmt.Errorf("the edited body is over %d MiB; nothing was sent", maxEditedBody>>20)
	}
	return b.Bytes(), nil
}
