package remediate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

// The crash test re-executes this test binary as a child process (selected
// by crashEnvDir) that accepts findings and remediates them with a fake
// remediator whose effects go to a file with fsync. The parent kills it with
// SIGKILL mid-run several times, restarts it, lets a last child drain the
// queue, and checks that every acknowledged finding was remediated and no
// plan was applied twice.
const (
	crashEnvDir      = "REMEDIATE_CRASH_DIR"
	crashEnvFrom     = "REMEDIATE_CRASH_FROM"
	crashEnvTo       = "REMEDIATE_CRASH_TO"
	crashEnvTemplate = "REMEDIATE_CRASH_TEMPLATE"
	crashRemediator  = "crash-fake"
	crashWorkers     = 4
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnvDir); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashFinding derives finding number id from the template event.
func crashFinding(template []byte, id int) (ocsf.Finding, error) {
	uid := fmt.Sprintf("crash-%05d", id)
	data := bytes.ReplaceAll(template, []byte("5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904"), []byte(uid))
	ev, err := ocsf.DecodeEvent(data)
	if err != nil {
		return nil, err
	}
	fs, err := ev.Findings()
	if err != nil {
		return nil, err
	}
	if got := fs[0].Summary().MetadataUID; got != uid {
		return nil, fmt.Errorf("template substitution failed: metadata.uid %q", got)
	}
	return fs[0], nil
}

// appendSync appends a line to a file and fsyncs it.
type syncLog struct {
	mu sync.Mutex
	f  *os.File
}

func openLog(path string) (*syncLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &syncLog{f: f}, nil
}

func (l *syncLog) add(line string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(line + "\n"); err != nil {
		return err
	}
	return l.f.Sync()
}

// readLines returns the complete lines of a file (a line cut by SIGKILL is
// dropped).
func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	} else {
		return nil, nil
	}
	return strings.Split(string(data), "\n"), nil
}

// crashRemediatorFor is the fake remediator of the child: two changes per
// finding; Apply records each call, then makes each change not yet in the
// effects file (its "live state") by appending it with fsync.
func crashRemediatorFor(dir string) (remediate.Remediator, error) {
	calls, err := openLog(filepath.Join(dir, "calls.log"))
	if err != nil {
		return nil, err
	}
	effects, err := openLog(filepath.Join(dir, "effects.log"))
	if err != nil {
		return nil, err
	}
	lines, err := readLines(filepath.Join(dir, "effects.log"))
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	world := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		world[f[0]+"/"+f[1]] = true
	}
	plan := func(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
		id := remediate.RefOf(f).ID()
		p := &remediate.Plan{Summary: "two marks for " + id}
		for i := range 2 {
			p.Changes = append(p.Changes, remediate.Change{
				ID: "c" + strconv.Itoa(i), Action: "fake:Mark", Resource: id, Description: "mark " + strconv.Itoa(i),
			})
		}
		return p, nil
	}
	apply := func(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
		key := remediate.IdempotencyKey(p.Finding, crashRemediator)
		if err := calls.add(p.ID + " " + key); err != nil {
			return nil, err
		}
		res := &remediate.Result{Summary: "marked"}
		for _, c := range p.Changes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
			mu.Lock()
			done := world[p.ID+"/"+c.ID]
			if !done {
				if err := effects.add(p.ID + " " + c.ID + " " + key); err != nil {
					mu.Unlock()
					return nil, err
				}
				world[p.ID+"/"+c.ID] = true
			}
			mu.Unlock()
			st := remediate.OutcomeApplied
			if done {
				st = remediate.OutcomeAlreadyDone
			}
			res.Outcomes = append(res.Outcomes, remediate.Outcome{Change: c.ID, Status: st})
		}
		return res, nil
	}
	return remediate.NewRemediator(crashRemediator, plan, apply), nil
}

func crashChild(dir string) error {
	from, _ := strconv.Atoi(os.Getenv(crashEnvFrom))
	to, _ := strconv.Atoi(os.Getenv(crashEnvTo))
	template, err := os.ReadFile(os.Getenv(crashEnvTemplate))
	if err != nil {
		return err
	}
	st, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil) // fsync on
	if err != nil {
		return err
	}
	defer st.Close()
	rem, err := crashRemediatorFor(dir)
	if err != nil {
		return err
	}
	eng, err := remediate.New(st, remediate.Options{
		Rules:       []remediate.Rule{{Name: "all", Remediator: rem, Mode: remediate.ModeAutomatic}},
		Limits:      remediate.Limits{Overall: remediate.Limit{Max: -1}, Remediator: remediate.Limit{Max: -1}},
		Workers:     crashWorkers,
		MaxOrphaned: 1000,
		BackoffBase: time.Millisecond,
		BackoffMax:  10 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	acks, err := openLog(filepath.Join(dir, "acks.log"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(ctx) }()

	// The "listener": concurrent Accepts; every fifth finding is delivered
	// twice (EventBridge at-least-once).
	ids := make(chan int)
	var wg sync.WaitGroup
	var prodErr error
	var once sync.Once
	for range 4 {
		wg.Go(func() {
			for id := range ids {
				f, err := crashFinding(template, id)
				if err == nil {
					err = eng.Accept(ctx, nil, f)
				}
				if err == nil && id%5 == 0 {
					err = eng.Accept(ctx, nil, f)
				}
				if err == nil {
					err = acks.add(strconv.Itoa(id))
				}
				if err != nil {
					once.Do(func() { prodErr = err })
				}
			}
		})
	}
	for id := from; id < to; id++ {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if prodErr != nil {
		return prodErr
	}
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := eng.WaitIdle(wctx, 5*time.Millisecond); err != nil {
		return err
	}
	cancel()
	return <-runErr
}

func startCrashChild(t *testing.T, dir, template string, from, to int) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		crashEnvDir+"="+dir, crashEnvFrom+"="+strconv.Itoa(from), crashEnvTo+"="+strconv.Itoa(to), crashEnvTemplate+"="+template)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	template := filepath.Join(repoRoot(t), "testdata", "findings", fxGuardDuty)
	const batch, kills = 60, 4
	midRun := 0
	for round := range kills {
		from := round * batch
		cmd, out := startCrashChild(t, dir, template, from, from+batch)
		// Kill once this batch is partly acknowledged, at a random moment.
		deadline := time.Now().Add(30 * time.Second)
		for {
			lines, err := readLines(filepath.Join(dir, "acks.log"))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, l := range lines {
				if id, err := strconv.Atoi(l); err == nil && id >= from && id < from+batch {
					n++
				}
			}
			if n >= batch/3 {
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("round %d: child made no progress:\n%s", round, out)
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Logf("round %d: child ended before the kill (%v):\n%s", round, err, out)
			continue
		}
		// Was there work in flight?
		st, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := st.QueueStats(t.Context())
		_ = st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if qs.Ready+qs.Delayed > 0 {
			midRun++
		}
	}
	if midRun == 0 {
		t.Fatal("no kill hit the child with work in flight; the test proves nothing")
	}
	// A last run drains the queue (and produces one more batch) to completion.
	from := kills * batch
	cmd, out := startCrashChild(t, dir, template, from, from+batch)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("final child: %v\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("final child did not finish:\n%s", out)
	}

	verifyCrashRun(t, dir, template, kills)
}

func verifyCrashRun(t *testing.T, dir, templatePath string, kills int) {
	template, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := readLines(filepath.Join(dir, "acks.log"))
	if err != nil {
		t.Fatal(err)
	}
	effects, err := readLines(filepath.Join(dir, "effects.log"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := readLines(filepath.Join(dir, "calls.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Effects: each key must have exactly its two changes, once each, all
	// from one plan.
	type keyEffects struct {
		plans   map[string]bool
		changes map[string]int
	}
	byKey := map[string]*keyEffects{}
	for _, l := range effects {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("bad effects line %q", l)
		}
		k := byKey[f[2]]
		if k == nil {
			k = &keyEffects{plans: map[string]bool{}, changes: map[string]int{}}
			byKey[f[2]] = k
		}
		k.plans[f[0]] = true
		k.changes[f[1]]++
	}
	for key, k := range byKey {
		if len(k.plans) != 1 {
			t.Errorf("key %s: effects from %d plans, want 1 (a plan was made and applied twice)", key, len(k.plans))
		}
		for c, n := range k.changes {
			if n != 1 {
				t.Errorf("key %s: change %s made %d times", key, c, n)
			}
		}
	}
	st, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	seen := map[string]bool{}
	for _, a := range acks {
		id, err := strconv.Atoi(a)
		if err != nil {
			t.Fatalf("bad ack line %q", a)
		}
		if seen[a] {
			continue
		}
		seen[a] = true
		f, err := crashFinding(template, id)
		if err != nil {
			t.Fatal(err)
		}
		key := remediate.IdempotencyKey(remediate.RefOf(f), crashRemediator)
		task, err := st.GetTask(ctx, key)
		if err != nil {
			t.Errorf("acknowledged finding %d: no task: %v", id, err)
			continue
		}
		if task.State != remediate.TaskDone {
			t.Errorf("acknowledged finding %d: task %s (%s)", id, task.State, task.LastError)
			continue
		}
		k := byKey[key]
		if k == nil || !k.plans[task.Plan.ID] || len(k.changes) != 2 {
			t.Errorf("acknowledged finding %d: effects %+v do not match plan %s", id, k, task.Plan.ID)
		}
		applied, err := st.Query(ctx, remediate.Query{PlanID: task.Plan.ID, Decisions: []remediate.Decision{remediate.DecisionApplied}})
		if err != nil || len(applied) != 1 {
			t.Errorf("acknowledged finding %d: %d applied records (%v), want 1", id, len(applied), err)
		}
	}
	// Re-applies (Apply called again for a plan after a crash) are bounded
	// by the work in flight at each kill.
	perPlan := map[string]int{}
	for _, c := range calls {
		perPlan[strings.Fields(c)[0]]++
	}
	reapplies := 0
	for _, n := range perPlan {
		reapplies += n - 1
	}
	if reapplies > kills*crashWorkers {
		t.Errorf("%d re-applies after %d kills with %d workers", reapplies, kills, crashWorkers)
	}
	dl, err := st.DeadLetters(ctx)
	if err != nil || len(dl) != 0 {
		t.Errorf("dead letters: %+v %v", dl, err)
	}
	t.Logf("%d findings acknowledged, %d keys remediated, %d Apply calls, %d re-applies after crashes, %d effects",
		len(seen), len(byKey), len(calls), reapplies, len(effects))
	if len(byKey) != len(seen) {
		// Every key with effects must be an acknowledged finding or one whose
		// ack line was cut by the kill.
		t.Logf("%d keys remediated beyond the acknowledged findings (accepted, killed before the ack line)", len(byKey)-len(seen))
	}
}
