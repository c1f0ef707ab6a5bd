package ticket_test

import (
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

// anonymous has no identity to deduplicate on.
func anonymous(t *testing.T) ocsf.Finding {
	return remediatetest.Mutate(t, guardDuty(t), func(m map[string]any) {
		delete(m["metadata"].(map[string]any), "uid")
		delete(m["finding_info"].(map[string]any), "uid")
	})
}

// conformance runs remediatetest.Run for one system: opening a ticket for
// two findings of different classes, and resolving one.
func conformance(t *testing.T, newR func(t *testing.T) *ticket.Remediator) {
	gd := guardDuty(t)
	resolved := generation(t, gd, time.UnixMilli(1770711277512).Add(time.Hour), 4, "closed")
	open := func(t *testing.T) remediate.Remediator { return newR(t) }
	// The resolve case starts from a world where the ticket exists.
	seeded := func(t *testing.T) remediate.Remediator {
		r := newR(t)
		p, err := r.Plan(t.Context(), gd)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Apply(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		return r
	}
	remediatetest.Run(t, open,
		remediatetest.Case{Name: "open-detection", Finding: gd, NotApplicable: []ocsf.Finding{anonymous(t)}},
		remediatetest.Case{Name: "open-compliance", Finding: finding(t, "cspm-ec2-security-group-open.json")},
		remediatetest.Case{Name: "open-vulnerability", Finding: finding(t, "inspector-lambda-cve.json")},
	)
	t.Run("resolve", func(t *testing.T) {
		remediatetest.Run(t, seeded, remediatetest.Case{Name: "resolve", Finding: resolved})
	})
}

func TestConformanceJira(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator { return newJira(t, newFakeJira(t, jiraBasic), nil) })
}

func TestConformanceServiceNow(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator {
		return newServiceNow(t, newFakeServiceNow(t, snBasic), nil)
	})
}

func TestConformancePagerDuty(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator {
		return newPagerDuty(t, newFakePagerDuty(t, pdRoutingKey), nil)
	})
}

func TestConformanceSlackBot(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator {
		return newSlackBot(t, newFakeSlack(t, slackToken, slackChannel), nil)
	})
}

func TestConformanceSlackWebhook(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator {
		fs := newFakeSlack(t, slackToken, slackChannel)
		r, err := ticket.NewSlack(ticket.SlackOptions{WebhookURL: ticket.NewSecret(fs.srv.URL + slackHookPath)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	})
}

func TestConformanceWebhook(t *testing.T) {
	conformance(t, func(t *testing.T) *ticket.Remediator {
		fr := newFakeReceiver(t, 204)
		r, err := ticket.NewWebhook(ticket.WebhookOptions{URL: fr.srv.URL + "/events", SigningSecret: ticket.NewSecret(webhookSecret)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	})
}
