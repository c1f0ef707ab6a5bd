package remediate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

// A remediator built from two functions: it plans to tag the finding's
// instances, and Apply would make those changes.
func ExampleNewRemediator() {
	tagger := remediate.NewRemediator("tag-instance",
		func(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
			var p remediate.Plan
			for _, r := range remediate.ResourcesOf(f) {
				if r.Type != "AWS::EC2::Instance" {
					continue
				}
				p.Changes = append(p.Changes, remediate.Change{
					ID: "tag/" + r.UID, Action: "ec2:CreateTags", Resource: r.UID,
					Description: "tag " + r.UID + " with SOC-Status=investigating",
				})
			}
			if len(p.Changes) == 0 {
				return nil, remediate.ErrNotApplicable
			}
			p.Summary = fmt.Sprintf("tag %d instance(s)", len(p.Changes))
			return &p, nil
		},
		func(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
			return nil, errors.New("not in this example")
		},
		"ec2:CreateTags")

	f, err := ocsf.Decode([]byte(`{"class_uid":2004,"metadata":{"uid":"abc"},
		"resources":[{"type":"AWS::EC2::Instance","uid":"i-0123"},{"type":"AWS::S3::Bucket","uid":"b"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	p, err := tagger.Plan(context.Background(), f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Summary)
	for _, c := range p.Changes {
		fmt.Println(c.Action, c.Resource)
	}
	fmt.Println(tagger.Permissions())
	// Output:
	// tag 1 instance(s)
	// ec2:CreateTags i-0123
	// [ec2:CreateTags]
}

// The AWS EventBridge rule pattern that selects the findings a rule routes.
func ExampleEventPattern() {
	b, err := remediate.EventPattern(`{"class_uid":[2004],"severity_id":[{"numeric":[">=",4]}]}`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"detail":{"findings":{"class_uid":[2004],"severity_id":[{"numeric":[">=",4]}]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}
}

// Loading rules from a file; errors name the line.
func ExampleLoadRules() {
	reg := remediate.Registry{
		"noop": func(params json.RawMessage) (remediate.Remediator, error) {
			return remediate.NewRemediator("noop", nil, nil), nil
		},
	}
	_, err := remediate.LoadRules("rules.yaml", []byte(`
rules:
  - name: high
    remediator: noop
    mode: automatik
`), reg)
	fmt.Println(err)
	// Output:
	// rules.yaml:5:11: rules[0].mode: unknown mode "automatik" (want dry-run, approval or automatic)
}

// Classifying SDK-style errors without importing the SDK.
func ExampleClassify() {
	fmt.Println(remediate.ClassifyCode("ThrottlingException"))
	fmt.Println(remediate.ClassifyCode("AccessDenied"))
	fmt.Println(remediate.ClassifyCode("InvalidGroup.NotFound"))
	fmt.Println(remediate.Classify(remediate.Transient(errors.New("connection reset"))))
	fmt.Println(remediate.Classify(context.DeadlineExceeded))
	// Output:
	// transient
	// permanent
	// permanent
	// transient
	// transient
}

// A complete engine: a bbolt store, a rule, the workers and the operator API.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "remediate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	notify := remediate.NewRemediator("notify",
		func(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
			return &remediate.Plan{Summary: "notify", Effect: remediate.EffectNotify, Changes: []remediate.Change{
				{ID: "send", Action: "notify:Send", Resource: "chat", Description: "post " + f.Summary().Title},
			}}, nil
		},
		func(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
			return &remediate.Result{Outcomes: []remediate.Outcome{{Change: "send", Status: remediate.OutcomeApplied}}}, nil
		})
	eng, err := remediate.New(store, remediate.Options{Rules: []remediate.Rule{{
		Name:       "notify-high",
		Pattern:    `{"severity_id":[{"numeric":[">=",4]}]}`,
		Remediator: notify,
		Mode:       remediate.ModeDryRun, // the default: plan and record only
	}}})
	if err != nil {
		log.Fatal(err)
	}
	api, err := remediate.NewHandler(eng, remediate.HandlerOptions{Token: "operator-token-from-a-secret-store"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux() // serve it with an http.Server, behind TLS
	mux.Handle("/admin/", http.StripPrefix("/admin", api))

	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = eng.Run(ctx) }()

	f, err := ocsf.Decode([]byte(`{"class_uid":2004,"severity_id":4,"metadata":{"uid":"f-1"},"finding_info":{"title":"High thing","uid":"u-1"}}`))
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.Accept(ctx, nil, f); err != nil { // durable when it returns
		log.Fatal(err)
	}
	if err := eng.WaitIdle(ctx, time.Millisecond); err != nil {
		log.Fatal(err)
	}
	cancel()
	recs, err := eng.Journal(context.Background(), remediate.Query{FindingID: "f-1"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Println(r.Decision, r.Rule)
	}
	// Output:
	// matched notify-high
	// dry-run notify-high
}
