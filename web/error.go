package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wardenhq/warden"
)

// codeNotImplemented is the machine code of a capability this server does
// not have (the broker, rotation): HTTP 501. It is the web's own code
// beside Warden's error kinds.
const codeNotImplemented = "not_implemented"

// notImplementedError is a request for a capability the server lacks.
type notImplementedError struct{ msg string }

func (e *notImplementedError) Error() string { return e.msg }

// errNotImplemented returns the error of a missing capability.
func errNotImplemented(msg string) error { return &notImplementedError{msg} }

// errorStatus returns the HTTP status of err's kind (warden.HTTPStatus),
// or 501 for a capability the server lacks.
func errorStatus(err error) int {
	var ni *notImplementedError
	if errors.As(err, &ni) {
		return http.StatusNotImplemented
	}
	return warden.HTTPStatus(err)
}

// errorRenderer writes err with an HTTP status, as a JSON document or an
// HTML page.
type errorRenderer func(w http.ResponseWriter, r *http.Request, status int, err error)

// errorBody is the one JSON shape of an error: the kind as a machine code
// and a message safe to show.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// safeError returns err's kind and the message that may be shown for it.
// Internal errors are logged with their details and shown as a generic
// message.
func (s *Server) safeError(r *http.Request, err error) (kind, message string) {
	var ni *notImplementedError
	if errors.As(err, &ni) {
		return codeNotImplemented, ni.msg
	}
	kind = warden.ErrorKind(err)
	if kind == warden.EINTERNAL {
		detail := err.Error()
		var e *warden.Error
		if errors.As(err, &e) && e.Err != nil {
			detail += ": " + e.Err.Error()
		}
		s.Logger.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", detail)
		return kind, "internal error; the server's log has the details"
	}
	return kind, warden.ErrorMessage(err)
}

// jsonError writes err as a JSON error with the status of its kind.
func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeJSONError(w, r, errorStatus(err), err)
}

// writeJSONError writes err as a JSON error with status.
func (s *Server) writeJSONError(w http.ResponseWriter, r *http.Request, status int, err error) {
	var body errorBody
	body.Error.Code, body.Error.Message = s.safeError(r, err)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}

// pageError writes err as an HTML page with the status of its kind.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	s.writePageError(w, r, errorStatus(err), err)
}

// writePageError writes err as an HTML page with status.
func (s *Server) writePageError(w http.ResponseWriter, r *http.Request, status int, err error) {
	kind, message := s.safeError(r, err)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "error.html", map[string]any{
		"Status": status, "Title": fmt.Sprintf("%d %s", status, http.StatusText(status)), "Code": kind, "Message": message,
	})
}
