package calendlytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// The scenario API: JSON over HTTP under /_emulator/, without auth, for
// tests, the demo and scripts (the bodies are BookRequest, CancelRequest and
// RescheduleRequest in JSON):
//
//	POST   /_emulator/book        {"email","name",…}       → 201 {"event","invitee"}
//	POST   /_emulator/cancel      {"invitee","reason","by"} → 200
//	POST   /_emulator/reschedule  {"invitee","start_time"}  → 201 {"event","invitee"}
//	POST   /_emulator/no_show     {"invitee"}               → 201 {"invitee","no_show"}
//	DELETE /_emulator/no_show     {"invitee"}               → 204
//	GET    /_emulator/deliveries                            → 200 [attempt…]
//
// Errors use Calendly's error shape: 400 names the offending field as the
// detail's parameter, 404 an unknown invitee or event, 409 a change that
// does not apply (event full or canceled, invitee canceled, no-show twice).
func (s *Server) registerScenarioRoutes() {
	s.mux.HandleFunc("POST /_emulator/book", scenario(func(req BookRequest) (int, any, error) {
		res, err := s.Book(req)
		return http.StatusCreated, res, err
	}))
	s.mux.HandleFunc("POST /_emulator/cancel", scenario(func(req CancelRequest) (int, any, error) {
		return http.StatusOK, map[string]string{"invitee": req.Invitee, "status": calendly.StatusCanceled}, s.Cancel(req)
	}))
	s.mux.HandleFunc("POST /_emulator/reschedule", scenario(func(req RescheduleRequest) (int, any, error) {
		res, err := s.Reschedule(req)
		return http.StatusCreated, res, err
	}))
	s.mux.HandleFunc("POST /_emulator/no_show", scenario(func(req noShowRequest) (int, any, error) {
		ns, err := s.markNoShow(req.Invitee, changeSource{})
		return http.StatusCreated, map[string]string{"invitee": ns.Invitee, "no_show": ns.URI}, err
	}))
	s.mux.HandleFunc("DELETE /_emulator/no_show", scenario(func(req noShowRequest) (int, any, error) {
		return http.StatusNoContent, nil, s.RemoveNoShow(req.Invitee)
	}))
	s.mux.HandleFunc("GET /_emulator/deliveries", func(w http.ResponseWriter, r *http.Request) {
		attempts := s.deliverer.attempts()
		if attempts == nil {
			attempts = []DeliveryAttempt{}
		}
		writeJSON(w, http.StatusOK, attempts)
	})
}

type noShowRequest struct {
	Invitee string `json:"invitee"`
}

// scenario decodes a request body into T, runs do, and answers.
func scenario[T any](do func(T) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			writeScenarioError(w, &FieldError{"", fmt.Sprintf("the body could not be read: %v", err)})
			return
		}
		req, err := decodeScenario[T](body)
		if err != nil {
			writeScenarioError(w, err)
			return
		}
		status, answer, err := do(req)
		switch {
		case err != nil:
			writeScenarioError(w, err)
		case answer == nil:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, answer)
		}
	}
}

// decodeScenario reads exactly one JSON object with only T's fields. Its
// errors are *FieldError naming the field ("" for the body as a whole):
// each field is decoded on its own so a wrong value is blamed on its field.
func decodeScenario[T any](body []byte) (T, error) {
	var req T
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		if errors.Is(err, io.EOF) {
			return req, &FieldError{"", "the body is empty; send a JSON object"}
		}
		_, msg := describeJSONError(err)
		return req, &FieldError{"", msg}
	}
	if fields == nil {
		return req, &FieldError{"", "the body must be a JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &FieldError{"", "the body must be one JSON object, with nothing after it"}
	}
	known := jsonFields(reflect.TypeFor[T]())
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		goType, ok := known[name]
		if !ok {
			return req, &FieldError{name, "is not a field of this request; known fields: " + strings.Join(slices.Sorted(maps.Keys(known)), ", ")}
		}
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[name]})
		var probe T
		if err := json.Unmarshal(one, &probe); err != nil {
			return req, &FieldError{name, describeFieldValueError(goType, err)}
		}
	}
	if err := json.Unmarshal(body, &req); err != nil {
		_, msg := describeJSONError(err)
		return req, &FieldError{"", msg}
	}
	return req, nil
}

// jsonFields maps the JSON names of a struct type's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

func describeFieldValueError(goType reflect.Type, err error) string {
	if goType == reflect.TypeFor[time.Time]() {
		return "must be an RFC 3339 time like 2026-07-01T09:00:00Z"
	}
	_, msg := describeJSONError(err)
	return msg
}

func writeScenarioError(w http.ResponseWriter, err error) {
	var fieldErr *FieldError
	switch {
	case errors.As(err, &fieldErr):
		message := fieldErr.Message
		if fieldErr.Field != "" {
			message = fieldErr.Field + " " + message
		}
		writeJSON(w, http.StatusBadRequest, calendly.ErrorBody{
			Title: "Invalid Argument", Message: message,
			Details: []calendly.ErrorDetail{{Parameter: fieldErr.Field, Message: fieldErr.Message}},
		})
	case errors.Is(err, ErrUnknownResource):
		writeJSON(w, http.StatusNotFound, calendly.ErrorBody{Title: "Resource Not Found", Message: err.Error()})
	case errors.Is(err, ErrWrongState):
		writeJSON(w, http.StatusConflict, calendly.ErrorBody{Title: "Conflict", Message: err.Error()})
	default:
		writeError(w, err)
	}
}
