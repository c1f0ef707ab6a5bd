// Command pipeline is the whole ocsfhub service in one process: the
// EventBridge API-destination listener, the remediation engine with its rule
// file, the durable queue and audit journal in a local bbolt file, and the
// operator API for approvals, the journal and the kill switch.
//
// Try it from the repository root:
//
//	go run ./examples/pipeline -demo
//
// posts every fixture of testdata/findings to the listener, waits for the
// engine, prints the plan each matching rule made (dry-run: nothing is
// changed) and the pending approvals, and exits. Without -demo it serves
// until interrupted:
//
//	go run ./examples/pipeline -data ./pipeline-data
//	curl -H "x-secret-key: $(cat pipeline-data/api-key)" -H 'Content-Type: application/json' \
//	     --data @testdata/findings/cspm-ec2-security-group-open.json http://127.0.0.1:8080/findings
//	curl -H "Authorization: Bearer $(cat pipeline-data/admin-token)" http://127.0.0.1:8080/admin/journal
//
// Endpoints: POST /findings (the listener; API key in the x-secret-key
// header), /admin/... (the operator API of remediate.NewHandler, bearer
// token), GET /healthz.
//
// Remediators: the demo's file tickets ("ticket") and outbox ("notify"),
// and the real ticketing systems of remediate/ticket ("jira", "servicenow",
// "pagerduty", "slack", "webhook"), configured in the rule file with their
// credentials taken from environment variables the file names (rules.yaml
// has a commented Jira example).
//
// Secrets come from OCSFHUB_API_KEY and OCSFHUB_ADMIN_TOKEN; when unset, they
// are generated once into files in the data directory (mode 0600) and only
// their paths are printed. OCSFHUB_KILL=1 starts with the kill switch
// engaged; so does a file at -kill-file (default <data>/KILL) while it
// exists.
package main

import (
	"context"
	crand "crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	ticketing "github.com/ocsfhub/ocsfhub/remediate/ticket"
)

//go:embed rules.yaml
var sampleRules []byte

type config struct {
	Addr       string
	DataDir    string
	RulesFile  string // "" uses the embedded rules.yaml
	Fixtures   string
	KillFile   string
	Workers    int
	Demo       bool
	Serve      bool
	PrintEvent bool
	Quiet      bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	flag.StringVar(&cfg.DataDir, "data", "pipeline-data", "directory for the queue+journal file, tickets, notifications, dead letters and generated credentials")
	flag.StringVar(&cfg.RulesFile, "rules", "", "rule file (YAML or JSON); default: the sample examples/pipeline/rules.yaml built into the binary")
	flag.StringVar(&cfg.Fixtures, "fixtures", "testdata/findings", "directory of EventBridge events that -demo posts")
	flag.StringVar(&cfg.KillFile, "kill-file", "", "kill switch file (default <data>/KILL)")
	flag.IntVar(&cfg.Workers, "workers", 4, "engine workers")
	flag.BoolVar(&cfg.Demo, "demo", false, "post the fixtures to the listener, print the plans, then exit (with -serve: keep serving)")
	flag.BoolVar(&cfg.Serve, "serve", false, "with -demo, keep serving afterwards")
	flag.BoolVar(&cfg.PrintEvent, "print-event-pattern", false, "print the EventBridge rule pattern selecting the findings the rules route, and exit")
	flag.BoolVar(&cfg.Quiet, "quiet", false, "log only warnings and errors (by default every delivery and engine decision, with its plan, is logged)")
	flag.Parse()

	level := slog.LevelInfo
	if cfg.Quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, logger); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// pipeline is the assembled service.
type pipeline struct {
	cfg        config
	store      *boltstore.Store
	engine     *remediate.Engine
	rules      *remediate.RuleSet
	handler    http.Handler
	apiKey     string
	adminToken string
}

// registry maps the remediator names rule files may use to the demo
// remediators, with paths relative to the data directory, and to the real
// ticketing remediators of remediate/ticket ("jira", "servicenow",
// "pagerduty", "slack", "webhook"; credentials from environment variables
// the rule file names), which keep their finding-to-ticket map in state
// (nil: in memory).
func registry(dataDir string, state remediate.SettingsStore, logger *slog.Logger) remediate.Registry {
	under := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dataDir, p)
	}
	reg := ticketing.Factories(ticketing.FactoryOptions{Options: ticketing.Options{State: state, Logger: logger}})
	maps.Copy(reg, remediate.Registry{
		"ticket": func(params json.RawMessage) (remediate.Remediator, error) {
			p := struct {
				Dir string `json:"dir"`
			}{Dir: "tickets"}
			if err := decodeParams(params, &p); err != nil {
				return nil, err
			}
			return newFileTickets(under(p.Dir))
		},
		"notify": func(params json.RawMessage) (remediate.Remediator, error) {
			p := struct {
				File string `json:"file"`
			}{File: "notifications.jsonl"}
			if err := decodeParams(params, &p); err != nil {
				return nil, err
			}
			return newOutbox(under(p.File))
		},
	})
	return reg
}

func decodeParams(params json.RawMessage, v any) error {
	if len(params) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(params)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// secret returns the value of env, or the content of file, generating it
// there (mode 0600) on first use.
func secret(env, file string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	if b, err := os.ReadFile(file); err == nil {
		if v := strings.TrimSpace(string(b)); len(v) >= listener.MinSecretLength {
			return v, nil
		}
	}
	var b [24]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

func newPipeline(ctx context.Context, cfg config, logger *slog.Logger) (*pipeline, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	p := &pipeline{cfg: cfg}
	var err error
	if p.apiKey, err = secret("OCSFHUB_API_KEY", filepath.Join(cfg.DataDir, "api-key")); err != nil {
		return nil, err
	}
	if p.adminToken, err = secret("OCSFHUB_ADMIN_TOKEN", filepath.Join(cfg.DataDir, "admin-token")); err != nil {
		return nil, err
	}
	// The store first: ticket remediators keep their state in it.
	p.store, err = boltstore.Open(filepath.Join(cfg.DataDir, "remediate.db"), nil)
	if err != nil {
		return nil, err
	}
	reg := registry(cfg.DataDir, p.store, logger)
	var rs *remediate.RuleSet
	if cfg.RulesFile == "" {
		rs, err = remediate.LoadRules("rules.yaml (built in)", sampleRules, reg)
	} else {
		rs, err = remediate.LoadRulesFile(cfg.RulesFile, reg)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	p.rules = rs
	killFile := cfg.KillFile
	if killFile == "" {
		killFile = filepath.Join(cfg.DataDir, "KILL")
	}
	p.engine, err = remediate.New(p.store, remediate.Options{
		Rules: rs.Rules, Exclude: rs.Exclude, Limits: rs.Limits,
		Workers: cfg.Workers, KillFile: killFile, Logger: logger,
	})
	if err != nil {
		p.Close()
		return nil, err
	}
	if os.Getenv("OCSFHUB_KILL") == "1" {
		if err := p.engine.Kill(ctx, "env", "OCSFHUB_KILL=1 at start-up"); err != nil {
			p.Close()
			return nil, err
		}
	}
	dead, err := listener.NewDirDeadLetters(filepath.Join(cfg.DataDir, "dead-letters"))
	if err != nil {
		p.Close()
		return nil, err
	}
	lh, err := listener.New(listener.Options{
		Sink:        p.engine, // a finding it can never store is refused (422), not retried
		Credentials: listener.Credentials{APIKeys: []listener.Secret{listener.Secret(p.apiKey)}},
		DeadLetters: dead,
		Logger:      logger,
	})
	if err != nil {
		p.Close()
		return nil, err
	}
	admin, err := remediate.NewHandler(p.engine, remediate.HandlerOptions{Token: p.adminToken, Logger: logger})
	if err != nil {
		p.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /findings", lh)
	mux.Handle("/admin/", http.StripPrefix("/admin", admin))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	p.handler = mux
	return p, nil
}

// Close closes the store.
func (p *pipeline) Close() error {
	if p.store == nil {
		return nil
	}
	return p.store.Close()
}

func run(ctx context.Context, cfg config, out io.Writer, logger *slog.Logger) error {
	if cfg.PrintEvent {
		return printEventPattern(cfg, out)
	}
	p, err := newPipeline(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer p.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	runCtx, stopEngine := context.WithCancel(ctx)
	engineDone := make(chan error, 1)
	go func() { engineDone <- p.engine.Run(runCtx) }()
	base := "http://" + ln.Addr().String()
	p.banner(out, base)

	if cfg.Demo {
		if err := p.demo(ctx, out, base); err != nil {
			logger.Error("demo", "err", err)
		}
	}
	if !cfg.Demo || cfg.Serve {
		select {
		case <-ctx.Done():
		case err := <-served:
			stopEngine()
			<-engineDone
			return err
		}
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopEngine()
	if eerr := <-engineDone; err == nil {
		err = eerr
	}
	return err
}

func (p *pipeline) banner(out io.Writer, base string) {
	fmt.Fprintf(out, "ocsfhub pipeline listening on %s\n", base)
	fmt.Fprintf(out, "  findings:  POST %s/findings  (header x-secret-key: %s)\n", base, credentialSource("OCSFHUB_API_KEY", filepath.Join(p.cfg.DataDir, "api-key")))
	fmt.Fprintf(out, "  operator:  %s/admin/{approvals,journal,kill-switch,dead-letters,stats}  (Authorization: Bearer %s)\n",
		base, credentialSource("OCSFHUB_ADMIN_TOKEN", filepath.Join(p.cfg.DataDir, "admin-token")))
	fmt.Fprintf(out, "  data:      %s (queue and journal in remediate.db)\n", p.cfg.DataDir)
	fmt.Fprintln(out, "  rules:")
	for _, r := range p.rules.Rules {
		fmt.Fprintf(out, "    %-28s %-8s %-10s %s\n", r.Name, r.Remediator.Name(), r.Mode, r.Pattern)
	}
	perms := p.engine.Permissions()
	if len(perms) == 0 {
		fmt.Fprintln(out, "  IAM actions needed: none (the demo remediators call no AWS API)")
	} else {
		fmt.Fprintf(out, "  IAM actions needed: %s\n", strings.Join(perms, ", "))
	}
}

func credentialSource(env, file string) string {
	if os.Getenv(env) != "" {
		return "$" + env
	}
	return "$(cat " + file + ")"
}

func printEventPattern(cfg config, out io.Writer) error {
	rules := sampleRules
	name := "rules.yaml"
	if cfg.RulesFile != "" {
		b, err := os.ReadFile(cfg.RulesFile)
		if err != nil {
			return err
		}
		rules, name = b, cfg.RulesFile
	}
	rs, err := remediate.LoadRules(name, rules, registry(os.TempDir(), nil, slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	var pats []string
	for _, r := range rs.Rules {
		pats = append(pats, r.Pattern)
	}
	b, err := remediate.EventPattern(pats...)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// demo posts every fixture to the listener, waits for the engine, and prints
// what it decided for each finding.
func (p *pipeline) demo(ctx context.Context, out io.Writer, base string) error {
	files, err := filepath.Glob(filepath.Join(p.cfg.Fixtures, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no fixtures in %s (run from the repository root, or set -fixtures)", p.cfg.Fixtures)
	}
	sort.Strings(files)
	type posted struct {
		file string
		ids  []string
	}
	var done []posted
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/findings", strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(listener.DefaultAPIKeyHeader, p.apiKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "POST %s -> %s\n", filepath.Base(f), resp.Status)
		done = append(done, posted{file: filepath.Base(f), ids: findingIDs(body)})
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.engine.WaitIdle(wctx, 0); err != nil {
		return err
	}
	fmt.Fprintln(out)
	// Several files can carry the same finding (a re-import): print each once.
	var order []string
	byID := map[string][]string{}
	for _, d := range done {
		for _, id := range d.ids {
			if byID[id] == nil {
				order = append(order, id)
			}
			byID[id] = append(byID[id], d.file)
		}
	}
	for _, id := range order {
		recs, err := p.engine.Journal(ctx, remediate.Query{FindingID: id})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "== %s (finding %s)\n", strings.Join(byID[id], ", "), short(id))
		for _, r := range recs {
			line := fmt.Sprintf("   %-14s %s", r.Decision, r.Rule)
			if r.Reason != "" {
				line += ": " + r.Reason
			}
			fmt.Fprintln(out, strings.TrimRight(line, " "))
			if r.Plan != nil && (r.Decision == remediate.DecisionDryRun || r.Decision == remediate.DecisionPending) {
				for _, pl := range strings.Split(strings.TrimRight(r.Plan.String(), "\n"), "\n") {
					fmt.Fprintf(out, "      %s\n", pl)
				}
			}
		}
	}
	pending, err := p.engine.Approvals(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%d plan(s) wait for approval. Approve one with:\n", len(pending))
	for _, a := range pending {
		fmt.Fprintf(out, "  curl -X POST -H \"Authorization: Bearer %s\" %s/admin/approvals/%s/approve\n",
			credentialSource("OCSFHUB_ADMIN_TOKEN", filepath.Join(p.cfg.DataDir, "admin-token")), base, a.ID)
	}
	fmt.Fprintf(out, "Journal (JSON lines): curl -H \"Authorization: Bearer %s\" %s/admin/journal\n",
		credentialSource("OCSFHUB_ADMIN_TOKEN", filepath.Join(p.cfg.DataDir, "admin-token")), base)
	return nil
}

// findingIDs returns the journal ids of the findings in an event file.
func findingIDs(body []byte) []string {
	ev, err := ocsf.DecodeEvent(body)
	if err != nil {
		return nil
	}
	fs, err := ev.Findings()
	if err != nil {
		return nil
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, remediate.RefOf(f).ID())
	}
	return ids
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}
