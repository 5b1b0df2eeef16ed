package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
)

type decodeTarget struct {
	Name    string            `json:"name"`
	Count   int64             `json:"count"`
	Ratio   float64           `json:"ratio"`
	On      *bool             `json:"on"`
	Tags    []string          `json:"tags"`
	Limits  map[string]int    `json:"limits"`
	Nested  struct{ A int }   `json:"nested"`
	Content json.RawMessage   `json:"content"`
	Extra   map[string]string `json:"extra"`
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		in            string
		optional      bool
		code          string
		field, reason string
	}{
		{in: `{"name":"a","count":2,"ratio":0.5,"on":true,"tags":["x"],"content":{"any":[1]}}`},
		{in: "  {}  \n"},
		{in: ``, optional: true},
		{in: `null`, optional: true},
		{in: ``, code: keeptrail.EINVALID, field: "body", reason: "required: send a JSON object"},
		{in: `{"nme":"a"}`, code: keeptrail.EINVALID, field: "nme", reason: "unknown field"},
		{in: `{"name":1}`, code: keeptrail.EINVALID, field: "name", reason: "must be a string"},
		{in: `{"count":"1"}`, code: keeptrail.EINVALID, field: "count", reason: "must be an integer"},
		{in: `{"count":1.5}`, code: keeptrail.EINVALID, field: "count", reason: "must be an integer"},
		{in: `{"count":1e30}`, code: keeptrail.EINVALID, field: "count", reason: "must be an integer"},
		{in: `{"ratio":"x"}`, code: keeptrail.EINVALID, field: "ratio", reason: "must be a number"},
		{in: `{"on":"yes"}`, code: keeptrail.EINVALID, field: "on", reason: "must be true or false"},
		{in: `{"tags":"x"}`, code: keeptrail.EINVALID, field: "tags", reason: "must be an array"},
		{in: `{"tags":[1]}`, code: keeptrail.EINVALID, field: "tags", reason: "must be a string"},
		{in: `{"limits":{"a":"b"}}`, code: keeptrail.EINVALID, field: "limits", reason: "must be an integer"},
		{in: `{"nested":{"A":"b"}}`, code: keeptrail.EINVALID, field: "nested.A", reason: "must be an integer"},
		{in: `{"nested":{"B":1}}`, code: keeptrail.EINVALID, field: "B", reason: "unknown field"},
		{in: `{"":1}`, code: keeptrail.EINVALID, field: "body", reason: `unknown field ""`},
		{in: `{"` + strings.Repeat("é", 60) + `":1}`, code: keeptrail.EINVALID, field: "body", reason: `unknown field "` + strings.Repeat("é", 50) + `..."`},
		{in: `[]`, code: keeptrail.EINVALID, field: "body", reason: "must be an object"},
		{in: `"x"`, code: keeptrail.EINVALID, field: "body", reason: "must be an object"},
		{in: `{} {}`, code: keeptrail.EINVALID, field: "body", reason: "must hold exactly one JSON object"},
		{in: `{} x`, code: keeptrail.EINVALID, field: "body", reason: "must hold exactly one JSON object"},
		{in: `{"name":"a"`, code: keeptrail.EINVALID, field: "body", reason: "truncated JSON"},
		{in: `{"name":'a'}`, code: keeptrail.EINVALID, field: "body", reason: "invalid JSON at byte 9: invalid character '\\'' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var dst decodeTarget
			err := decodeStrict(strings.NewReader(tt.in), &dst, tt.optional)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var e *keeptrail.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *keeptrail.Error %s", err, tt.code)
			}
			if e.Code != tt.code || len(e.Fields) != 1 || e.Fields[0].Field != tt.field || e.Fields[0].Reason != tt.reason {
				t.Errorf("error %s %v, want %s [%s: %s]", e.Code, e.Fields, tt.code, tt.field, tt.reason)
			}
		})
	}
}

func TestDecodeStrictTooLarge(t *testing.T) {
	body := http.MaxBytesReader(nil, nopCloser{strings.NewReader(`{"name":"` + strings.Repeat("x", 100) + `"}`)}, 50)
	var dst decodeTarget
	err := decodeStrict(body, &dst, false)
	if keeptrail.ErrorCode(err) != keeptrail.ETOOLARGE {
		t.Errorf("error %v, want %s", err, keeptrail.ETOOLARGE)
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// FuzzDecodeStrict checks that any body either decodes or yields EINVALID naming a field,
// never a panic or an internal error.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"name":"a","tags":["b"],"limits":{"x":1}}`, `{"name":1}`, `{"x":1}`,
		`[`, `{"count":1e999}`, `{"content":{"deep":[[[[]]]]}}`, `{"nested":{"A":1}}{}`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var dst decodeTarget
		err := decodeStrict(strings.NewReader(in), &dst, false)
		if err == nil {
			return
		}
		var e *keeptrail.Error
		if !errors.As(err, &e) || e.Code != keeptrail.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field == "" || e.Fields[0].Reason == "" {
			t.Fatalf("decode %q: error %#v, want EINVALID naming one field", in, err)
		}
	})
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 9223372036854775807} {
		if got, err := parseID("id", in); err != nil || got != want {
			t.Errorf("parseID(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "+1", "01", "1.0", "1e3", "abc", " 1", "9223372036854775808", "١"} {
		_, err := parseID("id", in)
		var e *keeptrail.Error
		if !errors.As(err, &e) || e.Code != keeptrail.EINVALID || e.Fields[0] != (keeptrail.FieldError{Field: "id", Reason: "must be a positive integer"}) {
			t.Errorf("parseID(%q) error %v, want id: must be a positive integer", in, err)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "0", "-7", "007", "99999999999999999999", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := parseID("id", in)
		if err != nil {
			return
		}
		if id <= 0 || itoa(id) != in {
			t.Fatalf("parseID(%q) = %d accepted a non-canonical id", in, id)
		}
	})
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"Bearer kt_a_b":    "kt_a_b",
		"bearer  kt_a_b ":  "kt_a_b",
		"Basic dXNlcjpw":   "",
		"Bearer":           "",
		"kt_a_b":           "",
		"  Bearer kt_x_y ": "kt_x_y",
	} {
		if got := bearerToken(in); got != want {
			t.Errorf("bearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSourceIP(t *testing.T) {
	tests := []struct {
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{false, "192.0.2.1:5000", nil, "192.0.2.1"},
		{false, "192.0.2.1:5000", []string{"203.0.113.9"}, "192.0.2.1"},
		{false, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{true, "10.0.0.1:5000", []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{true, "10.0.0.1:5000", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{true, "10.0.0.1:5000", []string{"not-an-ip"}, "10.0.0.1"},
		{true, "10.0.0.1:5000", nil, "10.0.0.1"},
	}
	for _, tt := range tests {
		s := &Server{cfg: Config{TrustProxy: tt.trust}}
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.sourceIP(r); got != tt.want {
			t.Errorf("trust %v, remote %s, xff %v: %q, want %q", tt.trust, tt.remote, tt.xff, got, tt.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
