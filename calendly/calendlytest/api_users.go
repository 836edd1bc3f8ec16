package calendlytest

import (
	"net/http"
	"strings"

	"github.com/calwatch/calwatch/calendly"
)

const scopeUsersRead = "users:read"

func (s *Server) registerUserRoutes() {
	s.mux.HandleFunc("GET /users/me", s.api(scopeUsersRead, s.getMe))
	s.mux.HandleFunc("GET /users/{uuid}", s.api(scopeUsersRead, s.getUser))
	s.mux.HandleFunc("GET /organization_memberships", s.api(scopeUsersRead, s.listMemberships))
	s.mux.HandleFunc("GET /organization_memberships/{uuid}", s.api(scopeUsersRead, s.getMembership))
}

func (s *Server) getMe(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(caller)
	if u == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[calendly.User]{*u}, nil
}

func (s *Server) getUser(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(s.URL + "/users/" + r.PathValue("uuid"))
	if u == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[calendly.User]{*u}, nil
}

func (s *Server) getMembership(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uri := s.URL + "/organization_memberships/" + r.PathValue("uuid")
	for _, m := range s.st.memberships {
		if m.URI == uri {
			return http.StatusOK, resource[calendly.OrganizationMembership]{*m}, nil
		}
	}
	return 0, nil, errNotFound()
}

// listMemberships is GET /organization_memberships: filtered by user or
// organization (one is required) and optionally email.
func (s *Server) listMemberships(r *http.Request, caller string) (int, any, error) {
	q := r.URL.Query()
	var problems detailList
	page := parsePage(q, &problems)
	user, org, email := q.Get("user"), q.Get("organization"), q.Get("email")
	if user == "" && org == "" {
		problems.add("organization", "organization or user is required")
	}
	if err := problems.err(); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if org != "" && org != s.st.organization {
		return 0, nil, errPermission("You do not have permission to access this resource.")
	}
	rows := []calendly.OrganizationMembership{}
	for _, m := range s.st.memberships {
		if (user == "" || m.User.URI == user) && (email == "" || strings.EqualFold(m.User.Email, email)) {
			rows = append(rows, *m)
		}
	}
	return http.StatusOK, paginate(rows, page, s.URL, r), nil
}
