package calendlytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/calwatch/calwatch/calendly"
)

// apiError is an error answer in Calendly's shape: {title, message, details}.
type apiError struct {
	status int
	body   calendly.ErrorBody
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.status, e.body.Title, e.body.Message)
	for _, d := range e.body.Details {
		msg += fmt.Sprintf(" (%s: %s)", d.Parameter, d.Message)
	}
	return msg
}

// The titles and messages below are Calendly's, as its Postman collection
// shows them.
func errNotFound() *apiError {
	return &apiError{http.StatusNotFound, calendly.ErrorBody{
		Title: "Resource Not Found", Message: "The server could not find the requested resource.",
	}}
}

func errInvalid(details ...calendly.ErrorDetail) *apiError {
	return &apiError{http.StatusBadRequest, calendly.ErrorBody{
		Title: "Invalid Argument", Message: "The supplied parameters are invalid.", Details: details,
	}}
}

func errPermission(message string) *apiError {
	return &apiError{http.StatusForbidden, calendly.ErrorBody{Title: "Permission Denied", Message: message}}
}

func errAlreadyExists(message string) *apiError {
	return &apiError{http.StatusConflict, calendly.ErrorBody{Title: "Already Exists", Message: message}}
}

// detailList collects what is wrong with a request, one entry per parameter.
type detailList []calendly.ErrorDetail

func (d *detailList) add(parameter, message string) {
	*d = append(*d, calendly.ErrorDetail{Parameter: parameter, Message: message})
}

// err is nil when nothing was wrong, else a 400 Invalid Argument.
func (d detailList) err() error {
	if len(d) == 0 {
		return nil
	}
	return errInvalid(d...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"title":"Internal Server Error","message":"The server encountered an unexpected condition that prevented it from fulfilling the request."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// writeError answers with err's Calendly error body, or a 500 for anything
// that is not an *apiError.
func writeError(w http.ResponseWriter, err error) {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = &apiError{http.StatusInternalServerError, calendly.ErrorBody{
			Title:   "Internal Server Error",
			Message: "The server encountered an unexpected condition that prevented it from fulfilling the request.",
		}}
	}
	writeJSON(w, apiErr.status, apiErr.body)
}

// describeJSONError names the field a JSON decoding error is about, for
// error details. It never echoes the body.
func describeJSONError(err error) (parameter, message string) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return typeErr.Field, fmt.Sprintf("must be %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return "", fmt.Sprintf("the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return "", fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit)
	}
	return "", "the body is not a valid JSON object: " + err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	default:
		return "a " + goKind
	}
}
