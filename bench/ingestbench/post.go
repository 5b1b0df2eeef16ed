package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// ingestResult is the body of a 200 answer to POST /api/v1/events (and heartbeats).
type ingestResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Errors     []struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func postCommand(args []string) error {
	fs := flag.NewFlagSet("post", flag.ContinueOnError)
	base := fs.String("url", "", "server base URL, e.g. http://127.0.0.1:8080")
	token := fs.String("token", "", "gateway API key")
	file := fs.String("file", "", "NDJSON file to post")
	path := fs.String("path", "/api/v1/events", "ingest endpoint")
	batch := fs.Int("batch", 5000, "lines per request")
	clients := fs.Int("clients", 3, "concurrent requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || *token == "" || *file == "" || *batch < 1 || *clients < 1 {
		return errors.New("post: -url, -token and -file are required; -batch and -clients must be positive")
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	bodies := make(chan []byte, *clients)
	go func() {
		defer close(bodies)
		if err := readBatches(ctx, f, *batch, bodies); err != nil {
			cancel(err)
		}
	}()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, DisableCompression: true}}
	url := strings.TrimRight(*base, "/") + *path
	var mu sync.Mutex
	var total ingestResult
	var requests int
	started := time.Now()
	var wg sync.WaitGroup
	for range *clients {
		wg.Go(func() {
			for body := range bodies {
				res, err := postBatch(ctx, client, url, *token, body)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				total.Accepted += res.Accepted
				total.Duplicates += res.Duplicates
				total.Rejected += res.Rejected
				if len(total.Errors) < 5 {
					total.Errors = append(total.Errors, res.Errors...)
				}
				requests++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(started)
	if err := context.Cause(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "posted %d requests in %.2f s: accepted %d, duplicates %d, rejected %d (%.0f events/s)\n",
		requests, elapsed.Seconds(), total.Accepted, total.Duplicates, total.Rejected,
		float64(total.Accepted)/elapsed.Seconds())
	if total.Rejected > 0 || total.Duplicates > 0 {
		return fmt.Errorf("post: %d lines rejected and %d duplicates; first errors: %+v", total.Rejected, total.Duplicates, total.Errors)
	}
	return nil
}

// readBatches sends the file's lines, batch lines per body.
func readBatches(ctx context.Context, r io.Reader, batch int, out chan<- []byte) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var buf bytes.Buffer
	lines := 0
	flush := func() bool {
		if lines == 0 {
			return true
		}
		body := bytes.Clone(buf.Bytes())
		buf.Reset()
		lines = 0
		select {
		case out <- body:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			buf.Write(line)
			lines++
			if lines == batch && !flush() {
				return nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			flush()
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func postBatch(ctx context.Context, client *http.Client, url, token string, body []byte) (ingestResult, error) {
	var res ingestResult
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return res, err
	}
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("POST %s: answer %q: %w", url, b, err)
	}
	return res, nil
}

func waitCommand(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	url := fs.String("url", "", "URL that answers 200 when ready")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(*url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait %s: not ready after %s: %v", *url, *timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePortCommand() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

func fieldCommand(args []string) error {
	if len(args) != 1 {
		return errors.New("field: give one field name")
	}
	var m map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&m); err != nil {
		return fmt.Errorf("field: %w", err)
	}
	v, ok := m[args[0]].(string)
	if !ok {
		return fmt.Errorf("field: no string field %q in %v", args[0], m)
	}
	fmt.Println(v)
	return nil
}
