package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters"
	"github.com/alecthomas/chroma/v2/styles"
)

// jsonNode is one value of a delivery's body: a scalar as its text as
// received, or an object or array with its members. The body pane is drawn
// from this tree, so folding follows the JSON's structure.
type jsonNode struct {
	open byte             // '{' or '[' for an object or array, 0 for a scalar
	text string           // a scalar's text as received, made safe
	kind chroma.TokenType // a scalar's kind, for colour
	keys []string         // an object's keys as received (quoted), made safe
	kids []*jsonNode
}

// maxLayoutDepth is the deepest nesting laid out pretty: the indentation
// of deeper bodies grows with the square of their depth (a 1 MiB body of
// "[" would be gigabytes), so they are shown as received.
const maxLayoutDepth = 64

var (
	errNotJSON = errors.New("not JSON")
	errTooDeep = fmt.Errorf("nested more than %d deep", maxLayoutDepth)
)

// parseJSONBody reads body into a tree, keeping every scalar's and key's
// text as received (escapes, number forms), or says why it cannot: body
// is not one JSON value, or is nested too deep to lay out.
func parseJSONBody(body []byte) (*jsonNode, error) {
	if !json.Valid(body) {
		return nil, errNotJSON
	}
	p := jsonParser{body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	p.dec.UseNumber()
	return p.value(0)
}

type jsonParser struct {
	body []byte
	dec  *json.Decoder
}

// next returns the next token and its text as received.
func (p *jsonParser) next() (json.Token, string, error) {
	from := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, "", err
	}
	raw := bytes.TrimLeft(p.body[from:p.dec.InputOffset()], " \t\r\n:,")
	return tok, outside(string(raw)), nil
}

func (p *jsonParser) value(depth int) (*jsonNode, error) {
	tok, raw, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxLayoutDepth {
			return nil, errTooDeep
		}
		n := &jsonNode{open: byte(t)}
		for p.dec.More() {
			if t == '{' {
				_, key, err := p.next()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
			}
			kid, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
		_, _, err := p.next() // the closing delimiter
		return n, err
	case string:
		return &jsonNode{text: raw, kind: chroma.LiteralStringDouble}, nil
	case json.Number:
		kind := chroma.LiteralNumberInteger
		if strings.ContainsAny(raw, ".eE") {
			kind = chroma.LiteralNumberFloat
		}
		return &jsonNode{text: raw, kind: kind}, nil
	default: // true, false, null
		return &jsonNode{text: raw, kind: chroma.KeywordConstant}, nil
	}
}

// folds reports whether a container at depth (the body itself is 0) is
// folded: anything deeper than level 2, an array inside the payload, or an
// array of more than 3 items. Empty ones have nothing to fold.
func (n *jsonNode) folds(depth int) bool {
	if n.open == 0 || len(n.kids) == 0 || depth == 0 {
		return false
	}
	return depth >= 3 || n.open == '[' && (depth >= 2 || len(n.kids) > 3)
}

// foldedMaxFirst is the widest first member a folded object shows.
const foldedMaxFirst = 40

// summary is a folded container's one-line stand-in: "[ … 2 items ]",
// `{ "type": "zoom", … }` (one short member, see shownMember) or
// "{ … 3 keys }".
func (n *jsonNode) summary(w *jsonLines) {
	if n.open == '[' {
		w.add(chroma.Punctuation, "[")
		w.add(chroma.Comment, " … "+plural(len(n.kids), "item")+" ")
		w.add(chroma.Punctuation, "]")
		return
	}
	shown := n.shownMember()
	w.add(chroma.Punctuation, "{")
	if shown >= 0 {
		first := n.kids[shown]
		w.add(chroma.Text, " ")
		w.add(chroma.NameTag, n.keys[shown])
		w.add(chroma.Punctuation, ":")
		w.add(chroma.Text, " ")
		w.add(first.kind, first.text)
		if len(n.kids) > 1 {
			w.add(chroma.Punctuation, ",")
			w.add(chroma.Comment, " …")
		}
		w.add(chroma.Text, " ")
	} else {
		w.add(chroma.Comment, " … "+plural(len(n.kids), "key")+" ")
	}
	w.add(chroma.Punctuation, "}")
}

// shownMember is the member a folded object shows: "type" when it is a
// short scalar (a location's kind), else its first short scalar; -1 for
// none.
func (n *jsonNode) shownMember() int {
	first := -1
	for i, kid := range n.kids {
		if kid.open != 0 || len(n.keys[i])+len(kid.text) > foldedMaxFirst {
			continue
		}
		if n.keys[i] == `"type"` {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// jsonLines is the body laid out as json.Indent lays it out (two spaces a
// level), a line of chroma tokens each.
type jsonLines struct {
	lines   [][]chroma.Token
	summary []bool // the line stands for a folded object or array
	cur     []chroma.Token
	folded  bool
}

func (w *jsonLines) add(kind chroma.TokenType, text string) {
	w.cur = append(w.cur, chroma.Token{Type: kind, Value: text})
}

func (w *jsonLines) end() {
	w.lines = append(w.lines, w.cur)
	w.summary = append(w.summary, w.folded)
	w.cur, w.folded = nil, false
}

// layoutJSON lays the tree out, folded or not.
func layoutJSON(root *jsonNode, fold bool) *jsonLines {
	var w jsonLines
	w.emit(root, 0, "", true, fold)
	return &w
}

func (w *jsonLines) emit(n *jsonNode, depth int, key string, last, fold bool) {
	indent := strings.Repeat("  ", depth)
	if depth > 0 {
		w.add(chroma.TextWhitespace, indent)
	}
	if key != "" {
		w.add(chroma.NameTag, key)
		w.add(chroma.Punctuation, ":")
		w.add(chroma.TextWhitespace, " ")
	}
	closer := "}"
	if n.open == '[' {
		closer = "]"
	}
	switch {
	case n.open == 0:
		w.add(n.kind, n.text)
	case len(n.kids) == 0:
		w.add(chroma.Punctuation, string(n.open)+closer)
	case fold && n.folds(depth):
		n.summary(w)
		w.folded = true
	default:
		w.add(chroma.Punctuation, string(n.open))
		w.end()
		for i, kid := range n.kids {
			k := ""
			if n.open == '{' {
				k = n.keys[i]
			}
			w.emit(kid, depth+1, k, i == len(n.kids)-1, fold)
		}
		if depth > 0 {
			w.add(chroma.TextWhitespace, indent)
		}
		w.add(chroma.Punctuation, closer)
	}
	if !last {
		w.add(chroma.Punctuation, ",")
	}
	w.end()
}

// plainLine is a laid-out line as text.
func plainLine(toks []chroma.Token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.Value)
	}
	return b.String()
}

var (
	jsonFormatter = formatters.Get("terminal256")
	jsonStyle     = styles.Get("monokai")
	// tokenColours caches, per token type, what chroma writes before and
	// after a token's text: formatting builds its colour table each call.
	tokenColours sync.Map // chroma.TokenType → [2]string
)

// colourLine draws a laid-out line in the pretty view's colours.
func colourLine(toks []chroma.Token) string {
	var b strings.Builder
	for _, t := range toks {
		around := colourOf(t.Type)
		b.WriteString(around[0] + t.Value + around[1])
	}
	return b.String()
}

// colourOf is what chroma's terminal formatter, in the monokai style,
// writes around a token of this type.
func colourOf(kind chroma.TokenType) [2]string {
	if c, ok := tokenColours.Load(kind); ok {
		return c.([2]string)
	}
	const mark = "\x00"
	var b strings.Builder
	around := [2]string{}
	if jsonFormatter.Format(&b, jsonStyle, chroma.Literator(chroma.Token{Type: kind, Value: mark})) == nil {
		if before, after, ok := strings.Cut(b.String(), mark); ok {
			around = [2]string{before, after}
		}
	}
	tokenColours.Store(kind, around)
	return around
}
