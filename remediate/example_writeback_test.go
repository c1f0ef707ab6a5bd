package remediate_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

// What the engine writes back to Security Hub depends on the plan's
// Effect: a ticket notifies (In Progress, once), an isolation fixes
// (In Progress, then Resolved). Only the fix says Remediated.
func ExampleEffect() {
	dir, err := os.MkdirTemp("", "remediate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "remediate.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	remediator := func(name string, effect remediate.Effect) remediate.Remediator {
		return remediate.NewRemediator(name,
			func(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
				return &remediate.Plan{Summary: name + " " + f.Summary().UID, Effect: effect, Changes: []remediate.Change{
					{ID: "c", Action: name + ":Do", Resource: f.Summary().UID, Description: name},
				}}, nil
			},
			func(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
				return &remediate.Result{Summary: "done", Outcomes: []remediate.Outcome{{Change: "c", Status: remediate.OutcomeApplied}}}, nil
			})
	}
	securityHub := remediate.StatusWriterFunc(func(ctx context.Context, u remediate.StatusUpdate) error {
		fmt.Printf("%s: %s (%s, %s) remediated=%v\n", u.Remediator, u.StatusID, u.Effect, u.Stage, u.Remediated())
		return nil
	})
	eng, err := remediate.New(store, remediate.Options{StatusWriter: securityHub, Rules: []remediate.Rule{
		{Name: "ticket", Remediator: remediator("ticket", remediate.EffectNotify), Mode: remediate.ModeAutomatic},
		{Name: "isolate", Remediator: remediator("isolate", ""), Mode: remediate.ModeAutomatic}, // "" is EffectResolve
	}})
	if err != nil {
		log.Fatal(err)
	}
	f, err := ocsf.Decode([]byte(`{"class_uid":2004,"status_id":1,"metadata":{"uid":"f-1"},"finding_info":{"uid":"i-0abc"}}`))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Accept(ctx, nil, f); err != nil {
		log.Fatal(err)
	}
	if err := eng.ProcessNext(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ticket: In Progress (notify, applied) remediated=false
	// isolate: In Progress (resolve, applying) remediated=false
	// isolate: Resolved (resolve, applied) remediated=true
}
