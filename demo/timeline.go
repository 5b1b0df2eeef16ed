package demo

import (
	"container/heap"
	"context"
	"time"
)

// action is one thing someone does at a moment of the demo.
type action struct {
	at   time.Time
	seq  int // ties keep the order of planning
	what string
	// heartbeats: the heartbeats before it must have been sent (it changes what a
	// gateway runs)
	heartbeats bool
	do         func(ctx context.Context) error
}

// timeline holds the planned actions in time order.
type timeline struct {
	h   actionHeap
	seq int
}

// add plans an action.
func (t *timeline) add(at time.Time, what string, do func(ctx context.Context) error) *action {
	t.seq++
	a := &action{at: at, seq: t.seq, what: what, do: do}
	heap.Push(&t.h, a)
	return a
}

// next removes and returns the earliest action due before end.
func (t *timeline) next(end time.Time) (*action, bool) {
	if len(t.h) == 0 || !t.h[0].at.Before(end) {
		return nil, false
	}
	return heap.Pop(&t.h).(*action), true
}

type actionHeap []*action

func (h actionHeap) Len() int { return len(h) }
func (h actionHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h actionHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *actionHeap) Push(x any)   { *h = append(*h, x.(*action)) }
func (h *actionHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}
