package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// entry is what the state keeps per finding and remediator. It is JSON in
// the [remediate.SettingsStore].
type entry struct {
	// Ticket is the system's id of the ticket: a Jira issue key, a
	// ServiceNow sys_id, a Slack message ts.
	Ticket string `json:"ticket,omitempty"`
	// Number is the second identifier: a Jira issue id, a ServiceNow number.
	Number string `json:"number,omitempty"`
	// Channel is the Slack channel of the message.
	Channel string `json:"channel,omitempty"`
	// State is "open", "acknowledged" or "resolved".
	State string `json:"state,omitempty"`
	// Gens are the finding generations recorded in the ticket (newest last,
	// at most maxGens).
	Gens []string `json:"gens,omitempty"`
	// Sent are the events sent ("trigger/g123", newest last, at most
	// maxGens).
	Sent []string `json:"sent,omitempty"`
	// Latest is the newest generation applied (Unix milliseconds): an older
	// generation arriving late is stale.
	Latest int64 `json:"latest,omitempty"`
}

const maxGens = 32

func (e *entry) hasGen(g string) bool  { return slices.Contains(e.Gens, g) }
func (e *entry) hasSent(s string) bool { return slices.Contains(e.Sent, s) }

func (e *entry) addGen(g string) {
	if !e.hasGen(g) {
		e.Gens = appendBounded(e.Gens, g)
	}
}

func (e *entry) addSent(s string) {
	if !e.hasSent(s) {
		e.Sent = appendBounded(e.Sent, s)
	}
}

func appendBounded(s []string, v string) []string {
	s = append(s, v)
	if len(s) > maxGens {
		s = slices.Clone(s[len(s)-maxGens:])
	}
	return s
}

// genMillis returns the modified time a generation name holds.
func genMillis(gen string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(gen, "g"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// noteApplied records that generation gen was applied.
func (r *Remediator) noteApplied(ctx context.Context, key, gen string) error {
	n := genMillis(gen)
	e, _, err := r.loadEntry(ctx, key)
	if err != nil || n <= e.Latest {
		return err
	}
	e.Latest = n
	return r.saveEntry(ctx, key, e)
}

// noteCreated records the ticket created for the plan's generation: in d,
// for the changes that follow, and in the state.
func (r *Remediator) noteCreated(ctx context.Context, d *planData, ticket, number string) error {
	d.Ticket, d.Number = ticket, number
	return r.saveEntry(ctx, d.Key, entry{Ticket: ticket, Number: number, State: "open", Gens: []string{d.Gen}})
}

// noteResolved records that the finding's ticket is resolved.
func (r *Remediator) noteResolved(ctx context.Context, key, ticket, number string) error {
	return r.saveEntry(ctx, key, entry{Ticket: ticket, Number: number, State: "resolved"})
}

// stateName is the setting name of a finding's entry.
func stateName(remediator, key string) string { return "ticket/" + remediator + "/" + key }

func (r *Remediator) loadEntry(ctx context.Context, key string) (entry, bool, error) {
	b, err := r.opts.State.GetSetting(ctx, stateName(r.name, key))
	if err != nil {
		return entry{}, false, fmt.Errorf("ticket: %s: read state: %w", r.name, err)
	}
	if len(b) == 0 {
		return entry{}, false, nil
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		// A damaged entry is forgotten, not fatal: the system's own search
		// (where there is one) still finds the ticket.
		r.log.Warn("ticket: ignoring unreadable state entry", "remediator", r.name, "key", key)
		return entry{}, false, nil
	}
	return e, true, nil
}

func (r *Remediator) saveEntry(ctx context.Context, key string, e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := r.opts.State.PutSetting(ctx, stateName(r.name, key), b); err != nil {
		return fmt.Errorf("ticket: %s: write state: %w", r.name, err)
	}
	return nil
}

// memoryState is the default [remediate.SettingsStore]: a map holding at
// most max values, forgetting the oldest first.
type memoryState struct {
	mu    sync.Mutex
	max   int
	vals  map[string][]byte
	order []string
}

func newMemoryState(max int) *memoryState {
	return &memoryState{max: max, vals: make(map[string][]byte)}
}

func (m *memoryState) GetSetting(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.vals[name]), nil
}

func (m *memoryState) PutSetting(ctx context.Context, name string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.vals[name]; !ok {
		m.order = append(m.order, name)
		for len(m.order) > m.max {
			delete(m.vals, m.order[0])
			m.order = m.order[1:]
		}
	}
	m.vals[name] = slices.Clone(value)
	return nil
}
