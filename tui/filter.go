package tui

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// feedFilter is what the feed shows: terms that must all hold. It is typed
// at `:filter …` or `/` in the feed, in one small language:
//
//	verdict!=ok  event=invitee.canceled  status=5xx  invitee~ana  ana
//
// A term is FIELD OP VALUE (OP one of = != ~ !~; ~ is "contains") or plain
// text, which matches the invitee's name or email, the event or the event
// type. Values with spaces go in double quotes: invitee~"ana costa".
type feedFilter struct{ terms []filterTerm }

type filterField int

const (
	fieldText filterField = iota // plain text: invitee, event or event type contains it
	fieldVerdict
	fieldEvent
	fieldStatus
	fieldInvitee
	fieldType
	fieldID
)

// filterFields are the field names and what each accepts, in the order
// errors list them.
var filterFields = []struct {
	name  string
	field filterField
	text  bool // takes ~ and !~ too
}{
	{"verdict", fieldVerdict, false},
	{"event", fieldEvent, true},
	{"status", fieldStatus, false},
	{"invitee", fieldInvitee, true},
	{"type", fieldType, true},
	{"id", fieldID, false},
}

type filterOp string

const (
	opEq     filterOp = "="
	opNe     filterOp = "!="
	opHas    filterOp = "~"
	opHasNot filterOp = "!~"
)

// filterTerm is one condition; value is lower case (ids and statuses are
// as typed).
type filterTerm struct {
	field filterField
	op    filterOp
	value string
}

// filterVerdicts are the verdict column's words (see verdict).
var filterVerdicts = []string{"ok", "dup", "sig", "old", "bad", "big"}

var statusPattern = regexp.MustCompile(`^[1-5]([0-9][0-9]|xx)$`)

// maxFilterLen bounds what the parser reads; the inputs stop well before.
const maxFilterLen = 500

// parseFilter reads a filter; "" (or only spaces) is no filter. An error
// names the term it could not read and says what would work.
func parseFilter(s string) (feedFilter, error) {
	if len(s) > maxFilterLen {
		return feedFilter{}, fmt.Errorf("filter: longer than %d characters; use fewer terms", maxFilterLen)
	}
	if !utf8.ValidString(s) {
		return feedFilter{}, errors.New("filter: the text is not valid UTF-8; type it again")
	}
	tokens, err := filterTokens(s)
	if err != nil {
		return feedFilter{}, err
	}
	var f feedFilter
	for _, tok := range tokens {
		term, err := parseTerm(tok)
		if err != nil {
			return feedFilter{}, fmt.Errorf("filter: %q: %w", tok.raw, err)
		}
		f.terms = append(f.terms, term)
	}
	return f, nil
}

// filterToken is one space-separated word: its text as typed, where its
// first quote was (-1: none), and its text without quotes.
type filterToken struct {
	raw, text  string
	firstQuote int // index in text where quoted text began
}

// filterTokens splits s at spaces outside double quotes.
func filterTokens(s string) ([]filterToken, error) {
	var (
		out     []filterToken
		raw, tx strings.Builder
		quoted  bool
		first   = -1
		inWord  bool
	)
	flush := func() {
		if inWord {
			out = append(out, filterToken{raw: raw.String(), text: tx.String(), firstQuote: first})
		}
		raw.Reset()
		tx.Reset()
		first, inWord = -1, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			raw.WriteRune(r)
			if first < 0 {
				first = tx.Len()
			}
			quoted, inWord = !quoted, true
		case unicode.IsSpace(r) && !quoted:
			flush()
		case unicode.IsControl(r):
			return nil, errors.New("filter: a control character is not allowed; type plain text")
		default:
			raw.WriteRune(r)
			tx.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("filter: %q: a quote is not closed; end it with \"", raw.String())
	}
	flush()
	return out, nil
}

// parseTerm reads FIELD OP VALUE or plain text. Operators count only
// before the first quote, so "a=b" in quotes is plain text.
func parseTerm(tok filterToken) (filterTerm, error) {
	head := tok.text
	if tok.firstQuote >= 0 {
		head = tok.text[:tok.firstQuote]
	}
	at := strings.IndexAny(head, "=~!")
	if at < 0 {
		if tok.text == "" {
			return filterTerm{}, errors.New(`empty quotes match nothing; type some text between them`)
		}
		return filterTerm{field: fieldText, op: opHas, value: strings.ToLower(tok.text)}, nil
	}
	name, rest := head[:at], tok.text[at:]
	var op filterOp
	for _, o := range []filterOp{opNe, opHasNot, opEq, opHas} {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return filterTerm{}, errors.New(`an operator is =, !=, ~ or !~; put plain text that holds = ~ or ! in "quotes"`)
	}
	value := rest[len(op):]
	if name == "" {
		return filterTerm{}, fmt.Errorf("a field goes before %s; use %s", op, fieldNames())
	}
	spec := -1
	for i, f := range filterFields {
		if strings.EqualFold(f.name, name) {
			spec = i
		}
	}
	if spec < 0 {
		return filterTerm{}, fmt.Errorf("unknown field %q; use %s", name, fieldNames())
	}
	fs := filterFields[spec]
	if (op == opHas || op == opHasNot) && !fs.text {
		return filterTerm{}, fmt.Errorf("%s takes = or !=, not %s", fs.name, op)
	}
	if value == "" {
		return filterTerm{}, fmt.Errorf("%s%s needs a value", fs.name, op)
	}
	if tok.firstQuote < 0 && strings.ContainsAny(value, "=~!") {
		return filterTerm{}, errors.New(`two operators; put a value that holds = ~ or ! in "quotes"`)
	}
	value = strings.ToLower(value)
	switch fs.field {
	case fieldVerdict:
		if !contains(filterVerdicts, value) {
			return filterTerm{}, fmt.Errorf("verdict is one of %s", strings.Join(filterVerdicts, ", "))
		}
	case fieldStatus:
		if !statusPattern.MatchString(value) {
			return filterTerm{}, errors.New("status is a code like 401 or a class like 5xx")
		}
	case fieldID:
		if n, err := strconv.ParseInt(value, 10, 64); err != nil || n <= 0 || strconv.FormatInt(n, 10) != value {
			return filterTerm{}, errors.New("id is a delivery number like 42")
		}
	}
	return filterTerm{field: fs.field, op: op, value: value}, nil
}

func fieldNames() string {
	names := make([]string, len(filterFields))
	for i, f := range filterFields {
		names[i] = f.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f feedFilter) empty() bool { return len(f.terms) == 0 }

// String is the filter as it would be typed, for the feed's title;
// parseFilter reads it back to the same filter.
func (f feedFilter) String() string {
	parts := make([]string, len(f.terms))
	for i, t := range f.terms {
		v := t.value
		if strings.IndexFunc(v, unicode.IsSpace) >= 0 || strings.ContainsAny(v, `=~!`) {
			v = `"` + v + `"`
		}
		if t.field == fieldText {
			parts[i] = v
			continue
		}
		for _, fs := range filterFields {
			if fs.field == t.field {
				parts[i] = fs.name + string(t.op) + v
			}
		}
	}
	return strings.Join(parts, " ")
}

// match reports whether r passes every term.
func (f feedFilter) match(r storage.FeedRow) bool {
	for _, t := range f.terms {
		if !t.match(r) {
			return false
		}
	}
	return true
}

func (t filterTerm) match(r storage.FeedRow) bool {
	var hit bool
	switch t.field {
	case fieldText:
		return anyContains(t.value, r.InviteeName, r.InviteeEmail, r.Event, r.EventName)
	case fieldVerdict:
		v := verdict(r.DeliveryRecord)
		hit = v[strings.IndexByte(v, ' ')+1:] == t.value
	case fieldStatus:
		code := strconv.Itoa(answerCode(r.DeliveryRecord))
		hit = code == t.value || (strings.HasSuffix(t.value, "xx") && code[0] == t.value[0])
	case fieldEvent:
		if t.op == opHas || t.op == opHasNot {
			hit = anyContains(t.value, r.Event)
		} else {
			ev := strings.ToLower(r.Event)
			hit = ev == t.value || shortEvent(ev) == t.value
		}
	case fieldInvitee:
		if t.op == opHas || t.op == opHasNot {
			hit = anyContains(t.value, r.InviteeName, r.InviteeEmail)
		} else {
			hit = strings.ToLower(r.InviteeName) == t.value || strings.ToLower(r.InviteeEmail) == t.value
		}
	case fieldType:
		if t.op == opHas || t.op == opHasNot {
			hit = anyContains(t.value, r.EventName)
		} else {
			hit = strings.ToLower(r.EventName) == t.value
		}
	case fieldID:
		hit = strconv.FormatInt(r.ID, 10) == t.value
	}
	if t.op == opNe || t.op == opHasNot {
		return !hit
	}
	return hit
}

func anyContains(sub string, in ...string) bool {
	for _, s := range in {
		if strings.Contains(strings.ToLower(s), sub) {
			return true
		}
	}
	return false
}

// setFilter shows only the ring's rows that pass flt, keeping the
// selection on the same delivery when it passes too (else the newest).
func (f *feedPane) setFilter(flt feedFilter) {
	f.filter = flt
	f.refilter()
}

// refilter rebuilds the visible rows from the ring.
func (f *feedPane) refilter() {
	sel := f.selectedID()
	f.rows = f.rows[:0]
	for _, r := range f.ring {
		if f.filter.match(r) {
			f.rows = append(f.rows, r)
		}
	}
	f.cursor, f.start = len(f.rows)-1, 0
	for i, r := range f.rows {
		if r.ID == sel && !f.follow {
			f.cursor = i
		}
	}
	if f.cursor == len(f.rows)-1 {
		f.follow, f.newBelow = true, 0
	}
}

// filterTitle is the feed's title while filtered, "filter: verdict!=ok
// (3/200)", the filter cut to fit room cells so the counts always show.
func filterTitle(f feedFilter, shown, all, room int) string {
	counts := fmt.Sprintf(" (%s/%s)", thousands(shown), thousands(all))
	text := outside(f.String())
	if avail := room - len("filter: ") - len(counts); ansi.StringWidth(text) > avail {
		text = ansi.Truncate(text, max(1, avail), "…")
	}
	return "filter: " + text + counts
}
