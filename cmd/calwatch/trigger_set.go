package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/calwatch/calwatch/calendly"
)

// jsonEdit is one --set path=value: a dotted path into a JSON document
// (object keys, or decimal indexes into arrays) and the value to put there.
type jsonEdit struct {
	path  []string
	value any // decoded JSON (json.Number for numbers) or a plain string
}

// maxEditLen bounds one --set; a delivery field is never this long.
const maxEditLen = 64 << 10

// parseJSONEdit reads "a.b.0.c=value". The value is JSON when it parses as
// JSON (true, 3, null, "x", {"k":1}) and a string otherwise.
func parseJSONEdit(s string) (jsonEdit, error) {
	if len(s) > maxEditLen {
		return jsonEdit{}, fmt.Errorf("--set is longer than %d bytes", maxEditLen)
	}
	if !utf8.ValidString(s) {
		return jsonEdit{}, errors.New("--set is not valid UTF-8: JSON can only carry UTF-8 text")
	}
	rawPath, rawValue, ok := strings.Cut(s, "=")
	if !ok {
		return jsonEdit{}, fmt.Errorf("--set %q has no '=': write path=value, like payload.email=jo@example.com", truncateForError(s))
	}
	rawPath = strings.TrimSpace(rawPath)
	if rawPath == "" {
		return jsonEdit{}, errors.New("--set has an empty path: write path=value, like payload.name=Jo")
	}
	path := strings.Split(rawPath, ".")
	if len(path) > calendly.MaxDeliveryDepth {
		return jsonEdit{}, fmt.Errorf("--set path %q is deeper than %d levels", truncateForError(rawPath), calendly.MaxDeliveryDepth)
	}
	for _, seg := range path {
		if seg == "" {
			return jsonEdit{}, fmt.Errorf("--set path %q has an empty part: separate keys with single dots", truncateForError(rawPath))
		}
	}
	return jsonEdit{path: path, value: parseEditValue(rawValue)}, nil
}

// parseEditValue decodes raw as one JSON value, or keeps it as a string.
func parseEditValue(raw string) any {
	if !json.Valid([]byte(raw)) {
		return raw
	}
	var v any
	if err := decodeJSONNumbers([]byte(raw), &v); err != nil {
		return raw
	}
	return v
}

// applyJSONEdits sets every edit in the JSON object doc and encodes it again
// (keys sorted, as Calendly sends them). doc must be a JSON object.
func applyJSONEdits(doc []byte, edits []jsonEdit) ([]byte, error) {
	var root any
	if err := decodeJSONNumbers(doc, &root); err != nil {
		return nil, fmt.Errorf("--set needs a JSON delivery, but the payload is not JSON: %v", err)
	}
	if _, ok := root.(map[string]any); !ok {
		return nil, errors.New("--set needs a JSON object as the delivery")
	}
	for _, e := range edits {
		var err error
		if root, err = setJSONPath(root, e.path, 0, e.value); err != nil {
			return nil, err
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the edited delivery: %w", err)
	}
	return out, nil
}

// setJSONPath returns node with path[i:] set to value. A missing key or a
// null on the way becomes an object; an index may address an array item or
// append one just past the end.
func setJSONPath(node any, path []string, i int, value any) (any, error) {
	if i == len(path) {
		return value, nil
	}
	seg, parent, full := path[i], strings.Join(path[:i], "."), strings.Join(path, ".")
	switch n := node.(type) {
	case nil:
		child, err := setJSONPath(nil, path, i+1, value)
		return map[string]any{seg: child}, err
	case map[string]any:
		child, err := setJSONPath(n[seg], path, i+1, value)
		if err != nil {
			return nil, err
		}
		n[seg] = child
		return n, nil
	case []any:
		idx, err := strconv.Atoi(seg)
		if err != nil || idx < 0 || seg != strconv.Itoa(idx) {
			return nil, fmt.Errorf("--set %s: %s is an array, so %q must be an index like 0", full, parent, seg)
		}
		if idx > len(n) || (idx == len(n) && i+1 < len(path)) {
			return nil, fmt.Errorf("--set %s: index %d is past the end (%s has %d items)", full, idx, parent, len(n))
		}
		if idx == len(n) {
			return append(n, value), nil
		}
		child, err := setJSONPath(n[idx], path, i+1, value)
		if err != nil {
			return nil, err
		}
		n[idx] = child
		return n, nil
	default:
		return nil, fmt.Errorf("--set %s: %s is %s, which has no parts", full, parent, jsonKind(n))
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "a value"
}

// decodeJSONNumbers decodes exactly one JSON value, keeping numbers exact.
func decodeJSONNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func truncateForError(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
