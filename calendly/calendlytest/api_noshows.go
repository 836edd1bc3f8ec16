package calendlytest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/calwatch/calwatch/calendly"
)

func (s *Server) registerNoShowRoutes() {
	s.mux.HandleFunc("POST /invitee_no_shows", s.api(scopeEventsWrite, s.createNoShow))
	s.mux.HandleFunc("GET /invitee_no_shows/{uuid}", s.api(scopeEventsRead, s.getNoShow))
	s.mux.HandleFunc("DELETE /invitee_no_shows/{uuid}", s.api(scopeEventsWrite, s.deleteNoShow))
}

// createNoShow is POST /invitee_no_shows {"invitee": uri}.
func (s *Server) createNoShow(r *http.Request, caller string) (int, any, error) {
	var body struct {
		Invitee string `json:"invitee"`
	}
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		param, msg := describeJSONError(err)
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: param, Message: msg})
	}
	if body.Invitee == "" {
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: "invitee", Message: "is required"})
	}
	made, err := s.markNoShow(body.Invitee, changeSource{})
	switch {
	case errors.Is(err, ErrUnknownResource):
		return 0, nil, errNotFound()
	case errors.Is(err, ErrWrongState):
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: "invitee", Message: "is canceled or already marked as a no-show"})
	case err != nil:
		return 0, nil, err
	}
	return http.StatusCreated, resource[calendly.InviteeNoShow]{made}, nil
}

func (s *Server) getNoShow(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.st.noShows[s.URL+"/invitee_no_shows/"+r.PathValue("uuid")]
	if ns == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[calendly.InviteeNoShow]{*ns}, nil
}

func (s *Server) deleteNoShow(r *http.Request, caller string) (int, any, error) {
	err := s.change(func(st *state, now calendly.Time) ([]outgoing, error) {
		ns := st.noShows[s.URL+"/invitee_no_shows/"+r.PathValue("uuid")]
		if ns == nil {
			return nil, errNotFound()
		}
		return st.removeNoShow(st.invitees[ns.Invitee], now), nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
