package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Prefix is where the broker API lives on a listener.
const Prefix = "/broker/v1/"

// maxTokenBody bounds the JSON body of the token endpoints.
const maxTokenBody = 4 << 10

// ServeHTTP serves the broker API under Prefix:
//
//	POST /broker/v1/token                 {"user"} -> {access_token, instance_url, expires_at}
//	POST /broker/v1/token/invalidate      {"user", "access_token"} -> the same
//	ANY  /broker/v1/proxy/{user}/services/...
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch p := r.URL.Path; {
	case p == Prefix+"token":
		b.serveToken(w, r, false)
	case p == Prefix+"token/invalidate":
		b.serveToken(w, r, true)
	case strings.HasPrefix(p, Prefix+"proxy/"):
		b.serveProxy(w, r)
	default:
		writeError(w, warden.Errorf(warden.ENOTFOUND, "no broker endpoint %s", p))
	}
}

// tokenResponse is the token endpoints' answer.
type tokenResponse struct {
	AccessToken string    `json:"access_token"`
	InstanceURL string    `json:"instance_url"`
	ExpiresAt   time.Time `json:"expires_at"`
	User        string    `json:"user"`
	TokenType   string    `json:"token_type"`
}

func (b *Broker) serveToken(w http.ResponseWriter, r *http.Request, invalidate bool) {
	ev := Event{Op: "token"}
	if invalidate {
		ev.Op = "invalidate"
	}
	status, outcome, err := b.token(w, r, invalidate, &ev)
	if err != nil {
		status = writeError(w, err)
	}
	ev.Status, ev.Outcome = status, outcome
	b.emit(ev)
}

func (b *Broker) token(w http.ResponseWriter, r *http.Request, invalidate bool, ev *Event) (int, string, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return 0, "error", warden.Errorf(warden.EINVALID, "use POST")
	}
	key, _, err := b.authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		return 0, "denied", err
	}
	ev.KeyID, ev.Dependent = key.ID, key.Dependent
	var in struct {
		User        string `json:"user"`
		AccessToken string `json:"access_token"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTokenBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.User == "" {
		return 0, "error", warden.Errorf(warden.EINVALID, `the body must be JSON {"user": "<username>"}`)
	}
	if invalidate && in.AccessToken == "" {
		return 0, "error", warden.Errorf(warden.EINVALID, `the body must be JSON {"user": "<username>", "access_token": "<the refused token>"}`)
	}
	ev.User = in.User
	if !key.Allows(warden.BrokerToken, in.User, b.now()) {
		return 0, "denied", warden.Errorf(warden.EFORBIDDEN, "broker key %s may not get tokens for %s", key.ID, in.User)
	}
	var s *Session
	if invalidate {
		s, err = b.Invalidate(r.Context(), in.User, in.AccessToken)
	} else {
		s, err = b.Token(r.Context(), in.User)
	}
	if err != nil {
		return 0, "error", err
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: s.Token.AccessToken, InstanceURL: s.Token.InstanceURL,
		ExpiresAt: s.ExpiresAt.UTC(), User: s.User.Username, TokenType: "Bearer"})
	return http.StatusOK, "ok", nil
}

// statusOf maps an error to an HTTP status: a login the broker could not
// make is 503 (502 when Salesforce refused the credential), canceled
// requests 499-like 503.
func statusOf(err error) int {
	var se *salesforce.Error
	if errors.As(err, &se) && se.Cause != warden.CauseNone {
		if se.Cause.Transient() {
			return http.StatusServiceUnavailable
		}
		return http.StatusBadGateway
	}
	return warden.HTTPStatus(err)
}

// errorBody is the broker's JSON error.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	// Cause is the health cause of a failed login (refresh_token_revoked
	// means re-authorize: warden reauth USER).
	Cause string `json:"cause,omitempty"`
}

// writeError answers err as JSON and returns the status.
func writeError(w http.ResponseWriter, err error) int {
	status := statusOf(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden-broker"`)
	}
	kind := warden.ErrorKind(err)
	if errors.Is(err, context.Canceled) {
		kind = "canceled"
	}
	writeJSON(w, status, errorBody{Error: kind, Message: warden.ErrorMessage(err), Cause: causeOf(err)})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
