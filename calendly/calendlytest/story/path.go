package story

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// maxPathLen bounds a check's path.
const maxPathLen = 1024

// segment is one step of a Path into a JSON value.
type segment struct {
	key    string // an object key; "" with index or match
	index  int    // an array index, when isIndex
	isIdx  bool
	match  [2]string // [field, value]: the first array element whose field is value
	isMat  bool
	length bool // #: the length of an array or object
}

// Path is a way into a JSON value: "events[uri=https://x/1].invitees[0].email",
// "data.count", "#". Keys are separated by dots; [n] is an index;
// [key=value] picks the first array element whose key holds value (compared
// as text, so it may contain dots); # at the end is the length.
type Path []segment

// ParsePath reads a path, refusing one it cannot follow.
func ParsePath(p string) (Path, error) {
	if p == "" {
		return nil, fmt.Errorf("check has no path")
	}
	if len(p) > maxPathLen {
		return nil, fmt.Errorf("path is longer than %d bytes", maxPathLen)
	}
	var out Path
	rest := p
	for rest != "" {
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: [ without ]", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if k, v, ok := strings.Cut(inner, "="); ok {
				if k == "" {
					return nil, fmt.Errorf("path %q: [=…] names no key", p)
				}
				out = append(out, segment{match: [2]string{k, v}, isMat: true})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("path %q: [%s] is neither an index nor key=value", p, inner)
				}
				out = append(out, segment{index: n, isIdx: true})
			}
		case rest[0] == '.':
			rest = rest[1:]
			if rest == "" || rest[0] == '.' {
				return nil, fmt.Errorf("path %q: an empty key", p)
			}
		case rest == "#":
			out = append(out, segment{length: true})
			rest = ""
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			rest = rest[end:]
			if key == "#" || strings.Contains(key, "]") {
				return nil, fmt.Errorf("path %q: %q is not a key (# only comes last)", p, key)
			}
			if n, err := strconv.Atoi(key); err == nil && n >= 0 {
				out = append(out, segment{index: n, isIdx: true})
			} else {
				out = append(out, segment{key: key})
			}
		}
	}
	return out, nil
}

// Lookup follows the path into v (decoded with encoding/json), saying where
// it stops when it cannot go on.
func (p Path) Lookup(v any) (any, error) {
	for i, s := range p {
		switch {
		case s.length:
			switch c := v.(type) {
			case []any:
				v = float64(len(c))
			case map[string]any:
				v = float64(len(c))
			default:
				return nil, fmt.Errorf("# of %s, which is not a list or an object", kind(v))
			}
		case s.isIdx:
			if obj, ok := v.(map[string]any); ok { // a key made of digits
				next, ok := obj[strconv.Itoa(s.index)]
				if !ok {
					return nil, fmt.Errorf("no key %q (after %d steps of the path)", strconv.Itoa(s.index), i)
				}
				v = next
				continue
			}
			arr, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("[%d] of %s, not a list", s.index, kind(v))
			}
			if s.index >= len(arr) {
				return nil, fmt.Errorf("[%d] of a list of %d", s.index, len(arr))
			}
			v = arr[s.index]
		case s.isMat:
			arr, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("[%s=%s] of %s, not a list", s.match[0], s.match[1], kind(v))
			}
			found := false
			for _, e := range arr {
				if obj, ok := e.(map[string]any); ok && scalarText(obj[s.match[0]]) == s.match[1] {
					v, found = e, true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("no element of a list of %d has %s = %s", len(arr), s.match[0], s.match[1])
			}
		default:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("key %q of %s, not an object", s.key, kind(v))
			}
			next, ok := obj[s.key]
			if !ok {
				return nil, fmt.Errorf("no key %q (after %d steps of the path)", s.key, i)
			}
			v = next
		}
	}
	return v, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// scalarText is a JSON scalar as text, for [key=value] matches.
func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case map[string]any, []any:
		return "\x00" // never equal to text in a path
	}
	b, _ := json.Marshal(v)
	return string(b)
}
