package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far long work has come: a bar on a terminal, nothing otherwise (the
// command's summary line says the outcome). It is an io.Writer counting bytes, and has
// Set for counted items.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a progress display of total units (-1: unknown) on stderr when
// stderr is a terminal and --json is off.
func (a *app) newProgress(total int64, what string) *progress {
	f, ok := a.stderr.(*os.File)
	if !ok || a.jsonOut || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000), // 100 ms
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

// newCountProgress is newProgress for items rather than bytes.
func (a *app) newCountProgress(total int64, what string) *progress {
	p := a.newProgress(total, what)
	if p.bar != nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(a.stderr.(*os.File)),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Write counts len(b) units.
func (p *progress) Write(b []byte) (int, error) {
	if p.bar != nil {
		p.bar.Add(len(b))
	}
	return len(b), nil
}

// set moves the display to n units done.
func (p *progress) set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
	}
}

// describe changes the label.
func (p *progress) describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}

// finish clears the display.
func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

var _ io.Writer = (*progress)(nil)
