package listener

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/calwatch/calwatch/storage"
)

// ReplyContentType is the Content-Type of every answer the handler sends.
const ReplyContentType = "application/json"

// notStoredMessage is the error a 5xx answer gives: storage's own error
// stays with the operator.
const notStoredMessage = "could not store the delivery; retry later"

// Reply is the answer the handler sends the sender of a delivery it logged
// as rec, having answered code: on 2xx the row's id and outcome, on 5xx
// that it was not stored, on any other code the refusal's reason. The
// handler writes exactly these bytes, so the inspector can show them from
// the log. A refusal's reason is stored cut to 512 bytes; a longer one
// was answered in full.
func Reply(code int, rec storage.DeliveryRecord) (contentType string, body []byte) {
	var v any
	switch {
	case code >= 200 && code < 300:
		if body, ok := acceptedReply(rec); ok {
			return ReplyContentType, body
		}
		v = map[string]any{"id": rec.ID, "outcome": rec.Outcome}
	case code >= 500:
		v = errorBody(notStoredMessage)
	default:
		v = errorBody(rec.Reason)
	}
	return ReplyContentType, encodeReply(v)
}

// acceptedReply is the 2xx answer for rec, the bytes encodeReply writes for
// {"id": rec.ID, "outcome": rec.Outcome}, built without a map or
// reflection. ok is false, and the caller encodes it, for an outcome that
// is not a plain lower-case word (none of storage's are), whose JSON might
// need escapes.
func acceptedReply(rec storage.DeliveryRecord) (body []byte, ok bool) {
	for i := 0; i < len(rec.Outcome); i++ {
		if c := rec.Outcome[i]; (c < 'a' || c > 'z') && c != '_' {
			return nil, false
		}
	}
	body = make([]byte, 0, len(`{"id":,"outcome":""}`)+20+len(rec.Outcome)+1)
	body = append(body, `{"id":`...)
	body = strconv.AppendInt(body, rec.ID, 10)
	body = append(body, `,"outcome":"`...)
	body = append(body, rec.Outcome...)
	return append(body, "\"}\n"...), true
}

// encodeReply is an answer's body: v as JSON and a newline.
func encodeReply(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // only maps of strings and numbers come here
		b = []byte(`{"error":"internal error"}`)
	}
	return append(b, '\n')
}

// writeReply sends Reply(code, rec).
func writeReply(w http.ResponseWriter, code int, rec storage.DeliveryRecord) {
	_, body := Reply(code, rec)
	writeBody(w, code, body)
}

func errorBody(msg string) map[string]string { return map[string]string{"error": msg} }

func writeJSON(w http.ResponseWriter, code int, v any) { writeBody(w, code, encodeReply(v)) }

func writeBody(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", ReplyContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if code >= 400 {
		// An error answer ends the connection: a sender that misbehaves
		// cannot keep it for more requests, and an unread body is not
		// drained first.
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
