package backend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// MaxBody is the largest request body the APIs accept.
const MaxBody = 32 << 20

// DecodeJSON reads a JSON request body into v. Unknown fields are allowed
// (clients send many optional ones); malformed JSON is a 400 that says
// where.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Type: TypeInvalid, Message: fmt.Sprintf("request body is larger than %d bytes", MaxBody)}
		}
		return BadRequest("", "reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("", "the request body is empty; a JSON object is expected")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return BadRequest("", "the request body is not valid JSON (at byte %d): %v", se.Offset, err)
		case errors.As(err, &te):
			field := jsonPath(reflect.TypeOf(v), te.Field)
			return BadRequest(field, "field %q: expected %s, got JSON %s", field, te.Type, te.Value)
		}
		return BadRequest("", "invalid request body: %v", err)
	}
	return nil
}

// jsonPath turns the dotted field path of a decoding error into the
// client's: encoding/json names embedded structs on the way by their Go
// type names, which are no part of the JSON, so those are dropped.
func jsonPath(t reflect.Type, path string) string {
	if path == "" {
		return path
	}
	var out []string
	for _, seg := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			out = append(out, seg)
			continue
		}
		next := reflect.Type(nil)
		embedded := false
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" && f.Name == seg {
				next, embedded = f.Type, true
				break
			}
			if name == seg || name == "" && f.Name == seg {
				next = f.Type
			}
		}
		t = next
		if !embedded {
			out = append(out, seg)
		}
	}
	return strings.Join(out, ".")
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// SetRetryAfter sets the Retry-After header of e, if any.
func SetRetryAfter(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

// SSE writes server-sent events, flushing after each one. It is safe for
// concurrent use.
type SSE struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	err     error
}

// NewSSE prepares w for an event stream; headers go out with the first
// event.
func NewSSE(w http.ResponseWriter) *SSE {
	return &SSE{w: w, rc: http.NewResponseController(w)}
}

func (s *SSE) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// Send writes one event; name "" writes a data-only event. v is marshalled
// as JSON unless it is a string (written as is).
func (s *SSE) Send(name string, v any) error {
	var data []byte
	switch x := v.(type) {
	case string:
		data = []byte(x)
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode event %s: %w", name, err)
		}
		data = bytes.TrimRight(buf.Bytes(), "\n")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.start()
	var b bytes.Buffer
	if name != "" {
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	if _, err := s.w.Write(b.Bytes()); err != nil {
		s.err = err
		return err
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
	}
	return s.err
}

// Started reports whether anything was written (after which an error can
// only be reported inside the stream).
func (s *SSE) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// NDJSON writes newline-delimited JSON objects, flushing after each one.
type NDJSON struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

// NewNDJSON prepares w for a stream of JSON lines.
func NewNDJSON(w http.ResponseWriter) *NDJSON {
	return &NDJSON{w: w, rc: http.NewResponseController(w)}
}

// Send writes one line.
func (n *NDJSON) Send(v any) error {
	if !n.started {
		n.started = true
		n.w.Header().Set("Content-Type", "application/x-ndjson")
		n.w.WriteHeader(http.StatusOK)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode stream line: %w", err)
	}
	b = append(b, '\n')
	if _, err := n.w.Write(b); err != nil {
		return err
	}
	return n.rc.Flush()
}

// Started reports whether a line was written.
func (n *NDJSON) Started() bool { return n.started }
