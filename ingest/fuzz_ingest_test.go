package ingest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
)

// fuzzMaxLine is small so that the fuzzer reaches over-long lines.
const fuzzMaxLine = 512

// countLines returns how many lines of body Ingest must account for: every line that is
// longer than max or holds more than spaces, tabs and carriage returns. It returns ok
// false when body is gzip that does not decompress.
func countLines(body []byte, max int) (n int, ok bool) {
	if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return 0, false
		}
		if body, err = io.ReadAll(zr); err != nil {
			return 0, false
		}
	}
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if len(line) > max {
			n++
			continue
		}
		if i == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if strings.Trim(line, " \t\r") != "" {
			n++
		}
	}
	return n, true
}

func FuzzIngest(f *testing.F) {
	seeds := []struct {
		kind uint8
		body string
	}{
		{0, lines(ingest.DesignEvent)},
		{1, lines(ingest.DesignHeartbeat)},
		{2, lines(ingest.DesignAudit)},
		{0, lines(ingest.DesignEvent, ingest.DesignEvent, "", `{"request_id":"x"}`, "not json", strings.Replace(ingest.DesignEvent, "r-000017", "r-18", 1))},
		{0, strings.ReplaceAll(lines(ingest.DesignEvent, strings.Replace(ingest.DesignEvent, `"blocked"`, `"escalated"`, 1)), "\n", "\r\n")},
		{0, "\uFEFF" + ingest.DesignEvent},
		{0, lines(strings.Replace(ingest.DesignEvent, "gpt-4o", strings.Repeat("m", 600), 1), ingest.DesignEvent)},
		{1, lines(ingest.DesignHeartbeat, strings.Replace(ingest.DesignHeartbeat, `"config_version":12`, `"config_version":13`, 1), `{"gateway":"new","time":"2025-02-03T10:15:00Z","healthy":false}`)},
		{2, lines(ingest.DesignAudit, `{"time":"2025-02-03T10:15:00Z","actor":"okta","action":"auth.login_failed","category":"authentication","severity":"medium","outcome":"failure","source_ip":"::1"}`)},
		{0, "\n\n \t\n"},
		{0, ""},
		{0, string(gzBytes(lines(ingest.DesignEvent, "{}")))},
		{1, string([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3})},
		{2, "\x00\xff\xfe{\"time\":1}\n"},
	}
	for _, s := range seeds {
		f.Add(s.kind, []byte(s.body))
	}
	db := testdb.SQLite(f)
	in := ingest.New(db, ingest.Options{MaxLineBytes: fuzzMaxLine, MaxBodyBytes: 1 << 20, BatchSize: 3})
	kinds := []ingest.Kind{ingest.KindEvents, ingest.KindHeartbeats, ingest.KindAudit}
	f.Fuzz(func(t *testing.T, k uint8, body []byte) {
		res, err := in.Ingest(as(gatewayKey), kinds[int(k)%len(kinds)], bytes.NewReader(body))
		want, ok := countLines(body, fuzzMaxLine)
		if !ok {
			if keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Fatalf("corrupt gzip: %v", err)
			}
			return
		}
		if err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ETOOLARGE {
				return
			}
			t.Fatalf("Ingest: %v", err)
		}
		if got := res.Accepted + res.Duplicates + res.Rejected; got != want {
			t.Fatalf("accepted %d + duplicates %d + rejected %d = %d, want %d non-blank lines",
				res.Accepted, res.Duplicates, res.Rejected, got, want)
		}
		if len(res.Errors) != min(res.Rejected, ingest.MaxReportedErrors) {
			t.Fatalf("%d errors listed for %d rejected", len(res.Errors), res.Rejected)
		}
		for i, e := range res.Errors {
			if e.Line < 1 || (i > 0 && e.Line <= res.Errors[i-1].Line) || e.Reason == "" {
				t.Fatalf("errors out of order or empty: %+v", res.Errors)
			}
		}
	})
}

func gzBytes(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}
