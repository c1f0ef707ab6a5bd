// Command pipeline-aws runs the ocsfhub remediation service against AWS:
// the EventBridge API-destination listener, the remediation engine with the
// AWS remediators configured by a rule file, Security Hub write-back, and
// the operator API for approvals, the journal and the kill switch.
//
// It runs in dry-run unless started with -apply: every rule then only plans
// (reading live state through the member roles) and records the plan in
// the journal. With -apply each rule's own mode applies (dry-run, approval
// or automatic).
//
// Print the least-privilege IAM policy the service's own role needs (for
// the rules given), or the member-account role template for a StackSet:
//
//	go run ./examples/pipeline-aws -print-policy
//	go run ./examples/pipeline-aws -print-member-template -home-account 999988887777 > member-role.yaml
//
// Plan the remediation of one event file and exit (dry-run: nothing
// changes), or serve:
//
//	go run ./examples/pipeline-aws -once testdata/findings/cspm-ec2-security-group-open.json
//	go run ./examples/pipeline-aws -data ./pipeline-data -role-name ocsfhub-remediation
//
// AWS credentials come from the default chain (environment, shared config,
// instance or task role) of the delegated administrator account. Findings
// of other accounts are remediated through sts:AssumeRole into -role-name
// with the external id from OCSFHUB_EXTERNAL_ID. Security Hub updates go to
// -home-region (the aggregation Region).
//
// Endpoints: POST /findings (API key in the x-secret-key header, from
// OCSFHUB_API_KEY or generated into <data>/api-key), /admin/... (bearer
// token from OCSFHUB_ADMIN_TOKEN or <data>/admin-token), GET /healthz.
package main

import (
	"context"
	crand "crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/aws/policy"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

//go:embed rules.yaml
var sampleRules []byte

// options are the command's flags.
type options struct {
	Addr           string
	DataDir        string
	RulesFile      string
	Apply          bool
	PrintPolicy    bool
	PrintTemplate  bool
	Once           string
	RoleName       string
	RolePath       string
	HomeAccount    string
	HomeRegion     string
	DenyAllProfile string
	NoWriteBack    bool
	Workers        int
	Verbose        bool
}

func main() {
	var o options
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address")
	flag.StringVar(&o.DataDir, "data", "pipeline-aws-data", "directory for the queue and journal, dead letters and generated credentials")
	flag.StringVar(&o.RulesFile, "rules", "", "rule file (YAML or JSON); default: the sample rules.yaml built into the binary")
	flag.BoolVar(&o.Apply, "apply", false, "honour each rule's mode; without it every rule is dry-run")
	flag.BoolVar(&o.PrintPolicy, "print-policy", false, "print the IAM policy of the service's own role for these rules, and exit")
	flag.BoolVar(&o.PrintTemplate, "print-member-template", false, "print the CloudFormation template of the member-account role (for a StackSet), and exit")
	flag.StringVar(&o.Once, "once", "", "process the findings of one EventBridge event file, print what happened, and exit")
	flag.StringVar(&o.RoleName, "role-name", "ocsfhub-remediation", "member-account role to assume (empty: act only with the default credentials)")
	flag.StringVar(&o.RolePath, "role-path", "/", "path of the member-account role")
	flag.StringVar(&o.HomeAccount, "home-account", "", "the delegated administrator account (default: discovered with sts:GetCallerIdentity)")
	flag.StringVar(&o.HomeRegion, "home-region", "", "Security Hub aggregation Region for write-back (default: the SDK's Region)")
	flag.StringVar(&o.DenyAllProfile, "deny-all-profile", "", "with -print-member-template: also create this deny-all instance profile")
	flag.BoolVar(&o.NoWriteBack, "no-write-back", false, "do not update findings in Security Hub")
	flag.IntVar(&o.Workers, "workers", 4, "engine workers")
	flag.BoolVar(&o.Verbose, "v", false, "log every engine decision and change")
	flag.Parse()

	level := slog.LevelWarn
	if o.Verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	load := func(ctx context.Context) (awssdk.Config, error) { return config.LoadDefaultConfig(ctx) }
	if err := run(ctx, o, load, os.Stdout, logger); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline-aws:", err)
		os.Exit(1)
	}
}

// service is the assembled pipeline.
type service struct {
	opts    options
	rules   *remediate.RuleSet
	engine  *remediate.Engine
	store   *boltstore.Store
	handler http.Handler
	apiKey  string
	token   string
}

// loadRules loads the rule file with the AWS registry over src; without
// -apply every rule becomes dry-run. The rollbacks of revocations and public
// access blocks find the plans they undo in journal.
func loadRules(o options, src remaws.ConfigSource, journal remaws.PlanJournal, logger *slog.Logger) (*remediate.RuleSet, error) {
	data, name := sampleRules, "rules.yaml (built in)"
	if o.RulesFile != "" {
		b, err := os.ReadFile(o.RulesFile)
		if err != nil {
			return nil, err
		}
		data, name = b, o.RulesFile
	}
	rs, err := remediate.LoadRules(name, data, remaws.Registry(src, logger,
		func(ro *remaws.RegistryOptions) { ro.Journal = journal }))
	if err != nil {
		return nil, err
	}
	if !o.Apply {
		for i := range rs.Rules {
			rs.Rules[i].Mode = remediate.ModeDryRun
		}
	}
	return rs, nil
}

// memberActions are the actions the configured remediators (and the tag
// reader) call in the accounts they act in.
func memberActions(rs *remediate.RuleSet) []string {
	var vs []any
	for _, r := range rs.Rules {
		vs = append(vs, r.Remediator)
	}
	tr, _ := remaws.NewTagReader(remaws.StaticConfig(awssdk.Config{}))
	vs = append(vs, tr)
	return remediate.Permissions(vs...)
}

func run(ctx context.Context, o options, loadAWS func(context.Context) (awssdk.Config, error), out io.Writer, logger *slog.Logger) error {
	if o.PrintPolicy || o.PrintTemplate {
		// Offline: the remediators' declared actions need no credentials.
		rs, err := loadRules(o, remaws.StaticConfig(awssdk.Config{}), noJournal{}, logger)
		if err != nil {
			return err
		}
		actions := memberActions(rs)
		if o.PrintTemplate {
			return policy.WriteMemberTemplate(out, policy.MemberOptions{Actions: actions, RoleName: o.RoleName,
				AdministratorAccountID: o.HomeAccount, DenyAllProfile: o.DenyAllProfile})
		}
		if !o.NoWriteBack {
			actions = append(actions, "securityhub:BatchUpdateFindings")
		}
		doc, err := policy.Render(actions, policy.Options{AssumeRoleName: o.RoleName, AssumeRolePath: o.RolePath})
		if err != nil {
			return err
		}
		b, err := doc.JSON()
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	base, err := loadAWS(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	s, err := newService(ctx, o, base, logger)
	if err != nil {
		return err
	}
	defer s.store.Close()
	if o.Once != "" {
		return s.once(ctx, out)
	}
	return s.serve(ctx, out)
}

func newService(ctx context.Context, o options, base awssdk.Config, logger *slog.Logger) (*service, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	cf, err := remaws.NewClientFactory(base, remaws.ClientFactoryOptions{
		HomeAccount: o.HomeAccount, RoleName: o.RoleName, RolePath: o.RolePath,
		ExternalID: os.Getenv("OCSFHUB_EXTERNAL_ID"), Logger: logger})
	if err != nil {
		return nil, err
	}
	store, err := boltstore.Open(filepath.Join(o.DataDir, "remediate.db"), nil)
	if err != nil {
		return nil, err
	}
	rs, err := loadRules(o, cf, store, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	tags, err := remaws.NewTagReader(cf)
	if err != nil {
		store.Close()
		return nil, err
	}
	eo := remediate.Options{Rules: rs.Rules, Exclude: rs.Exclude, Limits: rs.Limits, TagReader: tags,
		Classify: remaws.ClassifyError, Workers: o.Workers, KillFile: filepath.Join(o.DataDir, "KILL"), Logger: logger}
	if !o.NoWriteBack {
		hubCfg := base.Copy()
		if o.HomeRegion != "" {
			hubCfg.Region = o.HomeRegion
		}
		w, err := remaws.NewStatusWriter(securityhub.NewFromConfig(hubCfg), remaws.StatusWriterOptions{Logger: logger})
		if err != nil {
			store.Close()
			return nil, err
		}
		eo.StatusWriter = w
	}
	eng, err := remediate.New(store, eo)
	if err != nil {
		store.Close()
		return nil, err
	}
	s := &service{opts: o, rules: rs, engine: eng, store: store}
	if err := s.routes(logger); err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

// routes builds the HTTP handler (listener, operator API, health).
func (s *service) routes(logger *slog.Logger) error {
	var err error
	if s.apiKey, err = secret("OCSFHUB_API_KEY", filepath.Join(s.opts.DataDir, "api-key")); err != nil {
		return err
	}
	if s.token, err = secret("OCSFHUB_ADMIN_TOKEN", filepath.Join(s.opts.DataDir, "admin-token")); err != nil {
		return err
	}
	dead, err := listener.NewDirDeadLetters(filepath.Join(s.opts.DataDir, "dead-letters"))
	if err != nil {
		return err
	}
	lh, err := listener.New(listener.Options{Sink: s.engine, DeadLetters: dead, Logger: logger,
		Credentials: listener.Credentials{APIKeys: []listener.Secret{listener.Secret(s.apiKey)}}})
	if err != nil {
		return err
	}
	admin, err := remediate.NewHandler(s.engine, remediate.HandlerOptions{Token: s.token, Logger: logger})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /findings", lh)
	mux.Handle("/admin/", http.StripPrefix("/admin", admin))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	s.handler = mux
	return nil
}

// secret returns env's value, or the content of file, generating it there
// (mode 0600) on first use. Only the file path is ever printed.
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
	return v, os.WriteFile(file, []byte(v+"\n"), 0o600)
}

// banner describes the configuration.
func (s *service) banner(out io.Writer) {
	mode := "DRY-RUN (start with -apply to honour the rules' modes)"
	if s.opts.Apply {
		mode = "apply (each rule's mode)"
	}
	fmt.Fprintf(out, "mode: %s\n", mode)
	for _, r := range s.rules.Rules {
		fmt.Fprintf(out, "  rule %-30s %-32s %s\n", r.Name, r.Remediator.Name(), r.Mode)
	}
}

// once accepts the findings of one event file, lets the engine process
// them, and prints the journal of each.
func (s *service) once(ctx context.Context, out io.Writer) error {
	data, err := os.ReadFile(s.opts.Once)
	if err != nil {
		return err
	}
	ev, err := ocsf.DecodeEvent(data)
	if err != nil {
		return err
	}
	fs, err := ev.Findings()
	if err != nil {
		return err
	}
	s.banner(out)
	for _, f := range fs {
		if err := s.engine.Accept(ctx, ev, f); err != nil {
			return err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.engine.Run(runCtx) }()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	werr := s.engine.WaitIdle(wctx, 0)
	cancel()
	stop()
	if err := <-done; err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	for _, f := range fs {
		ref := remediate.RefOf(f)
		recs, err := s.engine.Journal(ctx, remediate.Query{FindingID: ref.ID()})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "finding %s (%s)\n", ref.ID(), ref.Title)
		for _, r := range recs {
			line := fmt.Sprintf("  %-14s %s", r.Decision, r.Rule)
			if r.Reason != "" {
				line += ": " + r.Reason
			}
			if r.Error != "" {
				line += " error: " + r.Error
			}
			fmt.Fprintln(out, strings.TrimRight(line, " "))
			if r.Plan != nil && (r.Decision == remediate.DecisionDryRun || r.Decision == remediate.DecisionPending) {
				for _, l := range strings.Split(strings.TrimRight(r.Plan.String(), "\n"), "\n") {
					fmt.Fprintf(out, "    %s\n", l)
				}
			}
			if r.Result != nil {
				for _, oc := range r.Result.Outcomes {
					fmt.Fprintf(out, "    %-13s %s %s\n", oc.Status, oc.Change, oc.Detail)
				}
			}
		}
	}
	return nil
}

// serve runs the listener and the engine until ctx ends.
func (s *service) serve(ctx context.Context, out io.Writer) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	runCtx, stopEngine := context.WithCancel(ctx)
	engineDone := make(chan error, 1)
	go func() { engineDone <- s.engine.Run(runCtx) }()
	s.banner(out)
	fmt.Fprintf(out, "listening on http://%s (POST /findings, /admin/..., GET /healthz); secrets in %s\n", ln.Addr(), s.opts.DataDir)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shut)
	stopEngine()
	if eerr := <-engineDone; err == nil {
		err = eerr
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// noJournal stands in for the engine's journal when rules are loaded only to
// print the policy or the member template: nothing is planned then.
type noJournal struct{}

func (noJournal) Query(context.Context, remediate.Query) ([]remediate.Record, error) { return nil, nil }
