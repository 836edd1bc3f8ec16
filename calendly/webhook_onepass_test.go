package calendly

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// referenceParse is ParseDelivery as it was before invitee deliveries were
// decoded in one pass: a depth check, then parseTwoPass. The one-pass path
// must give exactly what it gives, error text included.
func referenceParse(body []byte) (*Delivery, error) {
	if err := referenceCheckDepth(body, MaxDeliveryDepth); err != nil {
		return nil, invalid("%v", err)
	}
	return parseTwoPass(body)
}

func referenceCheckDepth(body []byte, limit int) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errors.New("body is empty")
	}
	if body[0] != '{' {
		return errors.New("body must be a JSON object")
	}
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return fmt.Errorf("nested deeper than %d levels", limit)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// sameAsReference fails t unless ParseDelivery and referenceParse agree on
// body.
func sameAsReference(t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := ParseDelivery(body)
	want, wantErr := referenceParse(body)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("ParseDelivery(%q): error %v, want %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDelivery(%q) =\n%+v\nwant\n%+v", body, got, want)
	}
}

// onePassCases are bodies where the one-pass decode could go wrong: keys in
// other cases, escaped or repeated keys, payloads that are not objects,
// whitespace everywhere, and bodies the reference refuses.
var onePassCases = []string{
	`{"event":"invitee.created","payload":{"uri":"u","event":"e"}}`,
	" \n{ \"created_at\" : \"2026-01-02T03:04:05.000000Z\" , \"event\" : \"invitee.canceled\" ,\t\"payload\" : { \"uri\" : \"u\", \"event\" : \"e\" } \r\n} \n",
	`{"payload":{"uri":"u","event":"e","name":"first"},"event":"invitee_no_show.created"}`,
	`{"event":"invitee.created","payload":{"uri":"u","event":"e","name":"a"},"payload":{"uri":"u2","event":"e2"}}`,
	`{"event":"invitee.created","PAYLOAD":{"uri":"u","event":"e"}}`,
	`{"Event":"invitee.created","Payload":{"uri":"u","event":"e"},"payload":{"uri":"v","event":"f"}}`,
	`{"event":"invitee.created","p\u0061yload":{"uri":"u","event":"e"}}`,
	`{"event":"invitee\u002ecreated","payload":{"uri":"u","event":"e"}}`,
	`{"event":"invitee.created","event":"invitee.canceled","payload":{"uri":"u","event":"e"}}`,
	`{"event":"invitee.created","payload":null}`,
	`{"event":"invitee.created","payload":[]}`,
	`{"event":"invitee.created","payload":"{}"}`,
	`{"event":"invitee.created","payload":{"uri":"","event":"e"}}`,
	`{"event":"invitee.created","payload":{"uri":7,"event":"e"}}`,
	`{"event":"invitee.created","payload":{"uri":"u","event":"e"},"created_at":"yesterday"}`,
	`{"event":"invitee.created","payload":{"uri":"u","event":"e"}`,
	`{"event":"invitee.created","payload":{"uri":"u","event":"e"}} {}`,
	`{"event":"invitee.created","n":-1.5e3,"t":true,"f":null,"payload":{"uri":"u","event":"e"},"z":[1,{"a":"}"}]}`,
	`{"event":"invitee.created","payload":{"uri":"u","event":"e","name":"\u00e9\"\\"}}`,
	"\u00a0{\"event\":\"invitee.created\",\"payload\":{\"uri\":\"u\",\"event\":\"e\"}}",
	"{\"event\":\"invitee.created\",\"pay\xffload\":{\"uri\":\"u\",\"event\":\"e\"}}",
	`{"event":"routing_form_submission.created","payload":{"result":{"type":"x","value":{}}}}`,
	`{"event":"something.new","payload":{"uri":"u"}}`,
	`{"a":"\"{[","payload":[[[[]]]]}`,
	`[]`,
	``,
}

// TestOnePassMatchesReference: on every reference and local delivery and on
// the awkward cases above, ParseDelivery gives what the two-pass decode gives.
func TestOnePassMatchesReference(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "deliveries", "*.json"))
	if ref := filepath.Join("..", "..", "shared", "reference", "calendly"); dirExists(ref) {
		more, _ := filepath.Glob(filepath.Join(ref, "*", "*.json"))
		files = append(files, more...)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sameAsReference(t, body)
	}
	for _, body := range onePassCases {
		sameAsReference(t, []byte(body))
	}
}

// TestOnePassTakesTheUsualShape: a plain invitee delivery takes the one-pass
// path (otherwise the speed-up is silently lost), keeping the raw payload.
func TestOnePassTakesTheUsualShape(t *testing.T) {
	body := []byte(`{"created_at":"2026-01-02T03:04:05.000000Z","event":"invitee.created","payload":{"uri":"u","event":"e"}}`)
	top, err := scanTopLevel(body, MaxDeliveryDepth)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := parseInviteeDelivery(body, top)
	if !ok {
		t.Fatal("a plain invitee.created fell back to the two-pass decode")
	}
	if string(d.Payload) != `{"uri":"u","event":"e"}` || d.Invitee.URI != "u" {
		t.Errorf("payload %s, invitee %+v", d.Payload, d.Invitee)
	}
}

// TestOnePassPayloadIsACappedView: the one-pass payload is body's own bytes
// (no copy of every delivery), and appending to it leaves body as it was.
func TestOnePassPayloadIsACappedView(t *testing.T) {
	body := []byte(`{"event":"invitee.created","payload":{"uri":"u","event":"e"},"created_by":"x"}`)
	original := string(body)
	d, err := ParseDelivery(body)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(original, `{"uri"`)
	if len(d.Payload) == 0 || &d.Payload[0] != &body[start] {
		t.Fatalf("the payload %s is a copy, not a view of the body", d.Payload)
	}
	_ = append(d.Payload, "XXXXXXXXXXXX"...)
	if string(body) != original {
		t.Errorf("appending to the payload changed the body to %s", body)
	}
}

func FuzzParseDeliveryOnePass(f *testing.F) {
	for _, body := range onePassCases {
		f.Add([]byte(body))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "deliveries", "*.json"))
	for _, name := range files {
		if body, err := os.ReadFile(name); err == nil {
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsReference(t, body)
	})
}

func dirExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
