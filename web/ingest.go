package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
)

// ingestResponse answers an ingest request: what happened to its lines.
type ingestResponse struct {
	Accepted          int                `json:"accepted"`
	Duplicates        int                `json:"duplicates"`
	Rejected          int                `json:"rejected"`
	EscalationsOpened int                `json:"escalations_opened"`
	Errors            []ingest.LineError `json:"errors"`
}

// ingestHandler serves POST /api/v1/{events,heartbeats,audit}: an NDJSON body (gzip
// allowed, detected by the ingester) handed to the ingester. It answers 200 with the
// counts, or 400 with the same body when every line was rejected. A body over
// MaxBodyBytes is refused with 413, before reading when Content-Length says so.
func (s *Server) ingestHandler(kind ingest.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		limit := s.cfg.MaxBodyBytes
		if r.ContentLength > limit {
			return tooLarge(limit)
		}
		switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
		case "", "identity", "gzip":
		default:
			return invalid("Content-Encoding", "must be gzip or absent, not "+enc)
		}
		body := &limitedBody{r: http.MaxBytesReader(w, r.Body, limit)}
		res, err := s.cfg.Ingester.Ingest(r.Context(), kind, body)
		// On failure the result still counts the batches written before it.
		s.metrics.observeIngest(kind, res)
		if body.exceeded {
			return tooLarge(limit)
		}
		if err != nil {
			return err
		}
		out := ingestResponse{
			Accepted:          res.Accepted,
			Duplicates:        res.Duplicates,
			Rejected:          res.Rejected,
			EscalationsOpened: res.EscalationsOpened,
			Errors:            res.Errors,
		}
		if out.Errors == nil {
			out.Errors = []ingest.LineError{}
		}
		status := http.StatusOK
		if res.Rejected > 0 && res.Accepted == 0 && res.Duplicates == 0 {
			status = http.StatusBadRequest
		}
		writeJSON(w, status, out)
		return nil
	}
}

func tooLarge(limit int64) error {
	return keeptrail.Errorf(keeptrail.ETOOLARGE, "request body is larger than the limit of %d bytes; send smaller batches", limit)
}

// limitedBody notes whether the body limit was hit, whatever the reader above it makes
// of the error.
type limitedBody struct {
	r        io.Reader
	exceeded bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var tooBig *http.MaxBytesError
	if err != nil && errors.As(err, &tooBig) {
		b.exceeded = true
	}
	return n, err
}
