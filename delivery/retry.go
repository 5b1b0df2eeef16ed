package delivery

import (
	"context"
	"time"
)

// RetryPolicy bounds the attempts of one delivery: at most Attempts tries, waiting
// Initial before the second, doubling each time up to Max. Zero fields take the defaults
// (5 attempts, 1 s, 1 min). The waits are deterministic (no jitter) so a test can assert
// them.
type RetryPolicy struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
	// Sleep waits d or until ctx ends; nil uses a timer. Tests inject one to record the
	// waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of RetryPolicy.
const (
	DefaultAttempts     = 5
	DefaultInitialDelay = time.Second
	DefaultMaxDelay     = time.Minute
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Initial <= 0 {
		p.Initial = DefaultInitialDelay
	}
	if p.Max <= 0 {
		p.Max = DefaultMaxDelay
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// delay returns the wait before attempt n+1 after attempt n (n from 1) failed.
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.Initial
	for i := 1; i < n; i++ {
		d *= 2
		if d >= p.Max {
			return p.Max
		}
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
