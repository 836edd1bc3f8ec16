package wizard

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// TestStepsMatchGoldens draws each step at 80×24 and 120×36 as plain text
// (what a person sees with NO_COLOR).
func TestStepsMatchGoldens(t *testing.T) {
	refused := errors.New("ngrok refused the authtoken in NGROK_AUTHTOKEN: copy the current one from https://dashboard.ngrok.com/get-started/your-authtoken (ERR_NGROK_105, see https://ngrok.com/docs/errors/err_ngrok_105)")
	unavailable := &subscription.UnavailableError{CallbackURL: "https://hooks.example.com/webhooks/calendly",
		Cause: &calendly.APIError{StatusCode: 403, ErrorBody: calendly.ErrorBody{Message: "Please upgrade your Calendly account to Professional"}}}
	steps := []struct {
		name  string
		f     *fakeActions
		opts  Options
		keys  []string // "tok" types a personal access token, "type:X" types X
		typed string
	}{
		{"welcome", &fakeActions{}, Options{}, nil, ""},
		{"method", &fakeActions{}, Options{}, []string{"enter"}, ""},
		{"oauth_app", &fakeActions{}, Options{ClientID: "calwatch-app"}, []string{"enter", "enter"}, ""},
		{"oauth_wait", &fakeActions{block: true, signInURL: "https://auth.calendly.com/oauth/authorize?client_id=calwatch-app&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback&response_type=code&state=af0ifjsldkj"},
			Options{ClientID: "calwatch-app"}, []string{"enter", "enter", "enter"}, ""},
		{"token", &fakeActions{}, Options{}, []string{"enter", "down", "enter"}, "secret"},
		{"account", &fakeActions{account: avery()}, Options{}, []string{"enter", "down", "enter", "tok", "enter"}, ""},
		{"tunnel", &fakeActions{account: avery()}, Options{NgrokTokenKnown: true}, []string{"enter", "down", "enter", "tok", "enter", "enter"}, ""},
		{"tunnel_refused", &fakeActions{account: avery(), ngrokErr: refused}, Options{NgrokTokenKnown: true}, []string{"enter", "down", "enter", "tok", "enter", "enter", "enter"}, ""},
		{"ngrok_token", &fakeActions{account: avery()}, Options{}, []string{"enter", "down", "enter", "tok", "enter", "enter", "enter"}, ""},
		{"app_key", &fakeActions{account: avery()}, Options{ClientID: "calwatch-app"}, []string{"enter", "enter", "enter", "enter", "enter"}, "key"},
		{"no_webhooks", &fakeActions{account: avery(), webhooksErr: unavailable}, Options{},
			[]string{"enter", "down", "enter", "tok", "enter", "enter", "down", "enter", "type:https://hooks.example.com", "enter", "enter"}, ""},
		{"events", &fakeActions{account: avery()}, Options{}, []string{"enter", "down", "enter", "tok", "enter", "enter", "down", "down", "enter"}, ""},
	}
	for _, size := range [][2]int{{80, 24}, {120, 36}} {
		for _, st := range steps {
			name := fmt.Sprintf("%s_%dx%d", st.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				m := newTestWizard(t, st.f, st.opts, size[0], size[1])
				for _, k := range st.keys {
					if k == "tok" || strings.HasPrefix(k, "type:") {
						typeText(t, m, strings.TrimPrefix(k, "type:"))
					} else {
						keys(t, m, k)
					}
				}
				typeText(t, m, st.typed)
				got := screen(m)
				checkShape(t, name, got, size[0], size[1])
				golden(t, name, got)
			})
		}
	}
}
