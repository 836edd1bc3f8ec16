package ngrok

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// maxLogBytes is how large the ngrok log may grow before the next start
// moves it aside to LOG.1 (one old copy is kept).
const maxLogBytes = 4 << 20

// openLog opens ngrok's log at path (0600, its folder 0700, appended to)
// and returns a logger that writes to it with every secret replaced by
// "[redacted]": ngrok quotes the authtoken in some of its refusals. With an
// empty path, ngrok's log is discarded. Nothing goes to the terminal.
func openLog(path string, secrets ...string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), io.NopCloser(nil), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create the folder of the ngrok log %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, nil, fmt.Errorf("cannot move the full ngrok log %s aside: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the ngrok log %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("cannot make the ngrok log %s private: %w", path, err)
	}
	return slog.New(newRedactingHandler(f, secrets)), f, nil
}

func newRedactingHandler(w io.Writer, secrets []string) slog.Handler {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	redact := strings.NewReplacer(pairs...)
	return slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelInfo,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if len(pairs) == 0 {
				return a
			}
			switch v := a.Value; v.Kind() {
			case slog.KindString:
				a.Value = slog.StringValue(redact.Replace(v.String()))
			case slog.KindAny:
				// Errors and anything else that prints itself: log the
				// redacted text instead of the value.
				if err, ok := v.Any().(error); ok {
					a.Value = slog.StringValue(redact.Replace(err.Error()))
				} else {
					a.Value = slog.StringValue(redact.Replace(fmt.Sprint(v.Any())))
				}
			}
			return a
		},
	})
}
