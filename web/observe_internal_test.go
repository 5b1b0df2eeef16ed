package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
)

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h := s.observe(s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if got, want := rec.Body.String(), `{"error":{"code":"internal","message":"internal error"}}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	var panicked, failed bool
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		switch rec["msg"] {
		case "handler panicked":
			panicked = rec["panic"] == "boom" && strings.Contains(rec["stack"].(string), "TestRecoverPanics")
		case "request failed":
			failed = rec["err"] == "panic: boom"
		}
	}
	if !panicked || !failed {
		t.Errorf("logs lack the panic with its stack and the failed request:\n%s", logs.String())
	}
}

func TestStatusByCode(t *testing.T) {
	s := NewServer(Config{})
	for code, want := range map[string]int{
		"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
		"too_large": 413, "too_many_requests": 429, "internal": 500, "something_new": 500,
	} {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest("GET", "/", nil), &keeptrail.Error{Code: code, Message: "m"})
		var body errorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		wantCode, wantMessage := code, "m"
		if want == 500 {
			wantCode, wantMessage = "internal", "internal error"
		}
		if rec.Code != want || body.Error.Code != wantCode || body.Error.Message != wantMessage {
			t.Errorf("code %s: status %d %+v, want %d %s %q", code, rec.Code, body.Error, want, wantCode, wantMessage)
		}
	}
}
