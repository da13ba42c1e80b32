package backend

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

type innerFields struct {
	Seed *int64 `json:"seed"`
}

type sharedFields struct {
	Model string `json:"model"`
	innerFields
	Opts *struct {
		Usage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type decodeTarget struct {
	sharedFields
	Messages []struct {
		Role string `json:"role"`
	} `json:"messages"`
	Extra map[string]struct {
		N int `json:"n"`
	} `json:"extra"`
	Plain int
}

// TestDecodeJSONFieldNames: a value of the wrong type is reported under
// the field's JSON path, without the Go names of embedded structs.
func TestDecodeJSONFieldNames(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"model": 1}`, "model"},
		{`{"seed": "x"}`, "seed"},
		{`{"stream_options": {"include_usage": 1}}`, "stream_options.include_usage"},
		{`{"messages": [{"role": 2}]}`, "messages.role"},
		{`{"extra": {"k": {"n": "x"}}}`, "extra.n"},
		{`{"Plain": "x"}`, "Plain"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		err := DecodeJSON(httptest.NewRecorder(), r, new(decodeTarget))
		var e *Error
		if !errors.As(err, &e) || e.Param != tc.field || !strings.Contains(e.Message, `"`+tc.field+`"`) {
			t.Errorf("%s: error %+v, want param %s", tc.body, err, tc.field)
		}
	}
}
