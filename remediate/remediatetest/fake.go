package remediatetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Fake is an in-memory remediator for tests. Its "live state" is a set of
// marks: a plan has Changes changes per finding, each setting one mark
// (finding id + change number), and Apply sets the marks that are not set yet,
// so it is idempotent and converges like a real remediator. Errors can be
// injected per call. Configure the exported fields before first use; the
// methods are safe for concurrent use.
type Fake struct {
	// ID is the remediator's name (default "fake").
	ID string
	// Perms are the IAM actions it declares.
	Perms []string
	// Changes per plan (default 1).
	Changes int
	// Destructive marks its plans destructive.
	Destructive bool
	// Applies selects the findings it handles (nil: all).
	Applies func(f ocsf.Finding) bool
	// PlanErrs and ApplyErrs are returned by successive Plan and Apply calls
	// (a nil entry means "succeed"); once used up, calls succeed.
	PlanErrs, ApplyErrs []error
	// FailAfter, when > 0, makes the next Apply fail with ApplyErrs' next
	// error (or a transient error) after making FailAfter changes: a partial
	// success.
	FailAfter int
	// OnApply, if set, is called before each change is made.
	OnApply func(ctx context.Context, p *remediate.Plan, c remediate.Change) error
	// Extra, if set, adds changes to each plan (e.g. to simulate live state
	// that needs more than was approved).
	Extra func(f ocsf.Finding) []remediate.Change

	mu         sync.Mutex
	marks      map[string]bool
	planCalls  int
	applyCalls int
	changes    []string // change keys in the order they were made
}

var _ remediate.Remediator = (*Fake)(nil)

// Name returns ID or "fake".
func (f *Fake) Name() string {
	if f.ID == "" {
		return "fake"
	}
	return f.ID
}

// Permissions returns Perms.
func (f *Fake) Permissions() []string { return slices.Clone(f.Perms) }

type markParams struct {
	Mark string `json:"mark"`
}

func (f *Fake) next(errs *[]error) error {
	if len(*errs) == 0 {
		return nil
	}
	err := (*errs)[0]
	*errs = (*errs)[1:]
	return err
}

// Plan plans the marks of the finding that are not set yet.
func (f *Fake) Plan(ctx context.Context, fd ocsf.Finding) (*remediate.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.planCalls++
	err := f.next(&f.PlanErrs)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if f.Applies != nil && !f.Applies(fd) {
		return nil, fmt.Errorf("%s: %w", f.Name(), remediate.ErrNotApplicable)
	}
	ref := remediate.RefOf(fd)
	n := max(f.Changes, 1)
	p := &remediate.Plan{Summary: "mark finding " + ref.ID(), Destructive: f.Destructive}
	f.mu.Lock()
	for i := range n {
		mark := fmt.Sprintf("%s#%d", ref.ID(), i)
		if f.marks[mark] {
			continue
		}
		params, _ := json.Marshal(markParams{Mark: mark})
		p.Changes = append(p.Changes, remediate.Change{
			ID: fmt.Sprintf("mark/%d", i), Action: "fake:Mark", Resource: ref.ID(),
			Description: "set mark " + mark, Params: params,
		})
	}
	f.mu.Unlock()
	if f.Extra != nil {
		p.Changes = append(p.Changes, f.Extra(fd)...)
	}
	if len(p.Changes) == 0 {
		return nil, fmt.Errorf("%s: already marked: %w", f.Name(), remediate.ErrNotApplicable)
	}
	p.Resources = remediate.ResourcesOf(fd)
	return p, nil
}

// Apply sets the plan's marks that are not set yet.
func (f *Fake) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.applyCalls++
	err := f.next(&f.ApplyErrs)
	failAfter := f.FailAfter
	f.FailAfter = 0
	f.mu.Unlock()
	if err != nil && failAfter == 0 {
		return nil, err
	}
	res := &remediate.Result{Summary: "marked"}
	made := 0
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if failAfter > 0 && made == failAfter {
			if err == nil {
				err = remediate.Transient(fmt.Errorf("fake: injected failure after %d changes", made))
			}
			return nil, err
		}
		var mp markParams
		if json.Unmarshal(c.Params, &mp) != nil || mp.Mark == "" {
			mp.Mark = p.Finding.ID() + "/" + c.ID
		}
		if f.OnApply != nil {
			if err := f.OnApply(ctx, p, c); err != nil {
				return nil, err
			}
		}
		f.mu.Lock()
		status := remediate.OutcomeAlreadyDone
		if !f.marks[mp.Mark] {
			if f.marks == nil {
				f.marks = map[string]bool{}
			}
			f.marks[mp.Mark] = true
			f.changes = append(f.changes, mp.Mark)
			status = remediate.OutcomeApplied
			made++
		}
		f.mu.Unlock()
		res.Outcomes = append(res.Outcomes, remediate.Outcome{Change: c.ID, Status: status})
	}
	return res, nil
}

// Marked reports whether the change key (finding id + "#" + n) is set.
func (f *Fake) Marked(mark string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.marks[mark]
}

// Made returns the marks set so far, in order (each at most once).
func (f *Fake) Made() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

// PlanCalls returns how many times Plan was called.
func (f *Fake) PlanCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.planCalls
}

// ApplyCalls returns how many times Apply was called.
func (f *Fake) ApplyCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applyCalls
}

// StatusRecorder is a [remediate.StatusWriter] that records updates. Errs
// are returned by successive calls. OnWrite, if set, is called after a
// successful write (for example to re-import the finding as Security Hub
// would).
type StatusRecorder struct {
	Errs    []error
	OnWrite func(ctx context.Context, u remediate.StatusUpdate)

	mu      sync.Mutex
	updates []remediate.StatusUpdate
}

var _ remediate.StatusWriter = (*StatusRecorder)(nil)

// WriteStatus records u.
func (s *StatusRecorder) WriteStatus(ctx context.Context, u remediate.StatusUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if len(s.Errs) > 0 {
		err := s.Errs[0]
		s.Errs = s.Errs[1:]
		if err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.updates = append(s.updates, u)
	s.mu.Unlock()
	if s.OnWrite != nil {
		s.OnWrite(ctx, u)
	}
	return nil
}

// Updates returns the recorded updates in order.
func (s *StatusRecorder) Updates() []remediate.StatusUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updates)
}

// Permissions declares the IAM action of BatchUpdateFindingsV2, as the AWS
// implementation will.
func (s *StatusRecorder) Permissions() []string { return []string{"securityhub:BatchUpdateFindings"} }

// TagMap is a [remediate.TagReader] over a map from resource UID (or ARN) to
// tags. Err, when set, is returned for every resource; Errs for the UIDs
// listed.
type TagMap struct {
	ByResource map[string]map[string]string
	Err        error
	Errs       map[string]error

	mu    sync.Mutex
	reads int
}

var _ remediate.TagReader = (*TagMap)(nil)

// Tags returns the tags of r (by UID, then ARN).
func (m *TagMap) Tags(ctx context.Context, r remediate.Resource) (map[string]string, error) {
	m.mu.Lock()
	m.reads++
	m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.Err != nil {
		return nil, m.Err
	}
	if err := m.Errs[r.UID]; err != nil {
		return nil, err
	}
	if t, ok := m.ByResource[r.UID]; ok {
		return t, nil
	}
	return m.ByResource[r.ARN], nil
}

// Reads returns how many times Tags was called.
func (m *TagMap) Reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

// APIError is an error carrying an AWS-style error code, shaped like
// smithy.APIError, for testing classification without the SDK.
type APIError struct {
	Code    string
	Message string
}

// Error returns "api error Code: Message".
func (e *APIError) Error() string { return "api error " + e.Code + ": " + e.Message }

// ErrorCode returns Code.
func (e *APIError) ErrorCode() string { return e.Code }
