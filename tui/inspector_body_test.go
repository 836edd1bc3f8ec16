package tui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
)

const bodyTestKey = "whsec-inspector-body-test"

// realBody is a real-shaped invitee.created body (the listener's fixture):
// questions_and_answers, a zoom location, guests and memberships.
func realBody(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "tunnel", "listener", "testdata", "invitee_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listened is a store fed by the real listener, and the answers it sent.
type listened struct {
	store   *storage.Store
	h       *listener.Handler
	answers []*httptest.ResponseRecorder
}

func newListened(t *testing.T) *listened {
	t.Helper()
	store := openStore(t)
	h, err := listener.NewHandler(listener.Config{SigningKey: []byte(bodyTestKey), Store: store, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return &listened{store: store, h: h}
}

// post sends body signed with key (another key makes a refusal) and
// returns the listener's answer.
func (l *listened) post(t *testing.T, body []byte, key string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, listener.DefaultPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(key), testNow, body))
	answer := httptest.NewRecorder()
	l.h.ServeHTTP(answer, req)
	l.answers = append(l.answers, answer)
	return answer
}

// inspect opens the inspector on the newest delivery at w×h.
func (l *listened) inspect(t *testing.T, w, h int) *Model {
	t.Helper()
	m := newTestModel(t, l.store, Connection{Mode: ModeLocal, WebhookURL: "http://127.0.0.1:8787" + listener.DefaultPath, KeySet: true}, w, h)
	keys(t, m, "3", "G", "enter")
	if s := screen(m); !strings.Contains(s, "[Body] Reply  Raw bytes") {
		t.Fatalf("the inspector did not open on the body tab:\n%s", s)
	}
	return m
}

var matchTitle = regexp.MustCompile(`match (\d+) of (\d+)`)

func TestFindZoomMovesToEachMatchAndScrolls(t *testing.T) {
	l := newListened(t)
	// "Zoom" early in the body (an answer) and "zoom" near its end (the
	// location), far more than a page apart at 80×24.
	body := bytes.Replace(realBody(t), []byte(`Notes on the \u00e9tude \"engine\"`), []byte(`Send the Zoom link`), 1)
	l.post(t, body, bodyTestKey)
	m := l.inspect(t, 80, 24)

	keys(t, m, "/", "z", "O", "o", "M") // find is case-insensitive
	s := screen(m)
	if !strings.Contains(s, "/ zOoM") {
		t.Fatalf("the find input does not show what was typed:\n%s", s)
	}
	keys(t, m, "enter")
	s = screen(m)
	if got := matchTitle.FindStringSubmatch(s); got == nil || got[1] != "1" || got[2] != "3" {
		t.Fatalf("title should say match 1 of 3 (the answer, the location's type and its join URL):\n%s", s)
	}
	if !strings.Contains(s, "Send the Zoom link") || strings.Contains(s, "zoom_conference") {
		t.Fatalf("the first match should be in view and the location not yet:\n%s", s)
	}
	if !regexp.MustCompile(`\d+▸ +"answer": "Send the Zoom link"`).MatchString(s) {
		t.Errorf("the current match's line is not marked ▸ in the gutter:\n%s", s)
	}
	if !reversed(m.View().Content, "Zoom") {
		t.Errorf("the match is not drawn in reverse video: %q", m.View().Content)
	}

	keys(t, m, "n")
	s = screen(m)
	if got := matchTitle.FindStringSubmatch(s); got == nil || got[1] != "2" {
		t.Fatalf("n should move to match 2:\n%s", s)
	}
	if !regexp.MustCompile(`\d+▸ +"type": "zoom_conference"`).MatchString(s) || strings.Contains(s, "Send the Zoom link") {
		t.Fatalf("n should scroll the location into view, the answer out of it:\n%s", s)
	}
	keys(t, m, "n", "n") // round the end to the first again
	if got := matchTitle.FindStringSubmatch(screen(m)); got == nil || got[1] != "1" {
		t.Fatalf("n after the last match should go round to the first:\n%s", screen(m))
	}
	keys(t, m, "N")
	if got := matchTitle.FindStringSubmatch(screen(m)); got == nil || got[1] != "3" {
		t.Fatalf("N from the first match should go to the last:\n%s", screen(m))
	}

	keys(t, m, "esc")
	s = screen(m)
	if matchTitle.MatchString(s) || strings.Contains(s, "▸ ") || !strings.Contains(s, "[Body]") {
		t.Fatalf("the first esc should clear the find and stay in the inspector:\n%s", s)
	}
	keys(t, m, "esc")
	if s := screen(m); strings.Contains(s, "[Body]") {
		t.Fatalf("the second esc should leave the inspector:\n%s", s)
	}
}

func TestFindWithNoMatchSaysSo(t *testing.T) {
	l := newListened(t)
	l.post(t, realBody(t), bodyTestKey)
	m := l.inspect(t, 80, 24)
	keys(t, m, "j", "j", "j", "/", "q")
	if m.insp.scroll <= 3 {
		t.Fatalf("typing q should scroll to the first question, below line 4; the pane is at line %d", m.insp.scroll+1)
	}
	keys(t, m, "x", "enter") // q went to the input, not quit
	if s := screen(m); !strings.Contains(s, "no match") || !strings.Contains(s, "/qx") {
		t.Fatalf("a find that matches nothing should say so:\n%s", s)
	}
	if m.insp.scroll != 3 {
		t.Errorf("with no match the pane should go back to where the find began (line 4), not line %d", m.insp.scroll+1)
	}
}

func TestFindShowsAMatchPastThePanesEdge(t *testing.T) {
	l := newListened(t)
	l.post(t, []byte(`{"note":"`+strings.Repeat("x", 200)+`Zoom at the end"}`), "not the key")
	m := l.inspect(t, 80, 24)
	if s := screen(m); strings.Contains(s, "Zoom") {
		t.Fatalf("the test wants the match past the pane's edge:\n%s", s)
	}
	keys(t, m, "/", "z", "o", "o", "m", "enter")
	s := screen(m)
	if !regexp.MustCompile(`2▸…x+Zoom at the end"`).MatchString(s) {
		t.Errorf("the line should be shifted left to show its match, the cut marked …:\n%s", s)
	}
	if !reversed(m.View().Content, "Zoom") {
		t.Errorf("the shifted match is not in reverse video")
	}
}

var linesShown = regexp.MustCompile(`(\d+) lines shown \((\d+) unfolded\)`)
var linesAll = regexp.MustCompile(`─ (\d+) lines · `)

func TestFoldShrinksTheBodyAndIsKeptAcrossDeliveries(t *testing.T) {
	l := newListened(t)
	body := realBody(t)
	l.post(t, body, bodyTestKey)
	l.post(t, bytes.Replace(body, []byte("inv-0001"), []byte("inv-0002"), -1), bodyTestKey)
	m := l.inspect(t, 160, 48)

	s := screen(m)
	all := linesAll.FindStringSubmatch(s)
	if all == nil || !strings.Contains(s, `"questions_and_answers": [`) {
		t.Fatalf("unfolded by default, the footer should count the lines:\n%s", s)
	}
	keys(t, m, "z")
	s = screen(m)
	shown := linesShown.FindStringSubmatch(s)
	if shown == nil || shown[2] != all[1] || atoi(t, shown[1]) >= atoi(t, shown[2]) {
		t.Fatalf("z should fold: %q shown of %q, before %q lines:\n%s", shown, all, all[1], s)
	}
	for _, want := range []string{`"questions_and_answers": [ … 1 item ],`, `"location": { "type": "zoom_conference", … },`} {
		if !strings.Contains(s, want) {
			t.Errorf("folded body lacks %s:\n%s", want, s)
		}
	}
	keys(t, m, "K")
	s = screen(m)
	if !strings.Contains(s, "inv-0001") || !linesShown.MatchString(s) {
		t.Fatalf("K should show the other delivery, still folded:\n%s", s)
	}
	keys(t, m, "z")
	if s := screen(m); linesAll.FindStringSubmatch(s) == nil || linesAll.FindStringSubmatch(s)[1] != all[1] {
		t.Fatalf("z again should unfold every line:\n%s", s)
	}
}

func TestReplyTabShowsWhatTheListenerSent(t *testing.T) {
	for _, c := range []struct {
		name, key string
		code      int
	}{{"applied", bodyTestKey, http.StatusOK}, {"refused", "not the key", http.StatusUnauthorized}} {
		t.Run(c.name, func(t *testing.T) {
			l := newListened(t)
			answer := l.post(t, realBody(t), c.key)
			if answer.Code != c.code {
				t.Fatalf("listener answered %d, want %d", answer.Code, c.code)
			}
			m := l.inspect(t, 160, 48)
			keys(t, m, "]")
			s := screen(m)
			want := []string{"Body [Reply] Raw bytes",
				"HTTP/1.1 " + answer.Result().Status,
				"Content-Type: " + answer.Header().Get("Content-Type"),
				"Content-Length: " + answer.Header().Get("Content-Length"),
				strings.TrimSuffix(answer.Body.String(), "\n")}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("Reply tab lacks %q:\n%s", w, s)
				}
			}
		})
	}
}

var prefixNote = regexp.MustCompile(`a prefix: 2,048 B stored of 5,000 B received`)

func TestRawBytesOfARefusedBodySaysItIsAPrefix(t *testing.T) {
	l := newListened(t)
	body := []byte(`{"event":"invitee.created","payload":{"note":"` + strings.Repeat("x", 5000-49) + `"}}`)
	if len(body) != 5000 {
		t.Fatalf("test body is %d bytes", len(body))
	}
	l.post(t, body, "not the key")
	m := l.inspect(t, 160, 48)
	keys(t, m, "]", "]")
	s := screen(m)
	if !strings.Contains(s, "Body  Reply [Raw bytes]") || !prefixNote.MatchString(s) {
		t.Fatalf("Raw bytes should say the stored body is a prefix:\n%s", s)
	}
	if !strings.Contains(s, `0000 7b 22 65 76 65 6e 74 22 3a 22 69 6e 76 69 74 65  {"event":"invite`) {
		t.Errorf("Raw bytes should start with the dump of the first 16 bytes:\n%s", s)
	}
	keys(t, m, "/", "i", "n", "v", "i", "t", "e", "enter")
	if s := screen(m); !strings.Contains(s, "▸0000 7b 22") || !strings.Contains(s, "match 1 of 1") {
		t.Errorf("a find in the dump should mark its line and count it:\n%s", s)
	}
	keys(t, m, "esc", "G")
	if s := screen(m); !strings.Contains(s, "07f0 78 78") || strings.Contains(s, "0800 ") {
		t.Errorf("the dump should end at the 2,048th byte (offset 07f0):\n%s", s)
	}
	keys(t, m, "[", "[", "[")
	if s := screen(m); !strings.Contains(s, "Body  Reply [Raw bytes]") {
		t.Errorf("[ three times should come round to the same tab:\n%s", s)
	}
}

func TestADuplicateSaysWhichDeliveryHasItsBody(t *testing.T) {
	l := newListened(t)
	body := realBody(t)
	l.post(t, body, bodyTestKey)
	l.post(t, body, bodyTestKey) // the same signature again: a duplicate
	m := l.inspect(t, 160, 48)
	want := fmt.Sprintf("no body kept: a duplicate, delivery 1 has its %s B", thousands(len(body)))
	if s := screen(m); !strings.Contains(s, "(empty body)") || !strings.Contains(s, want) {
		t.Fatalf("a duplicate's body pane should say where its body is (%q):\n%s", want, s)
	}
	keys(t, m, "[")
	if s := screen(m); !strings.Contains(s, want) {
		t.Errorf("Raw bytes of a duplicate should say where its body is:\n%s", s)
	}
}

func TestHexDump(t *testing.T) {
	got := hexDump([]byte("calwatch\x00\x1b\xff~ 0123456789"))
	want := []string{
		"0000 63 61 6c 77 61 74 63 68 00 1b ff 7e 20 30 31 32  calwatch...~ 012",
		"0010 33 34 35 36 37 38 39                             3456789",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hexDump:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(hexDump(nil)) != 0 {
		t.Error("an empty body should dump no lines")
	}
}

func TestFindInCountsDisplayColumns(t *testing.T) {
	// 日本 is two wide characters: ZOOM starts at column 6.
	got := findIn(`"日本 ZOOM zoom"`, []rune("zoom"), 7)
	want := []bodyMatch{{7, 6, 10}, {7, 11, 15}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("findIn = %v, want %v", got, want)
	}
}

// reversed reports whether text is drawn right after an SGR that turns
// reverse video on.
func reversed(drawn, text string) bool {
	for _, sgr := range regexp.MustCompile(`\x1b\[([0-9;]*)m`+regexp.QuoteMeta(text)).FindAllStringSubmatch(drawn, -1) {
		for _, p := range strings.Split(sgr[1], ";") {
			if p == "7" {
				return true
			}
		}
	}
	return false
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
