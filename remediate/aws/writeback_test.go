package aws_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
)

// hubWithFinding stores the GuardDuty fixture in the administrator's
// Security Hub and returns a writer for it.
func hubWithFinding(t *testing.T, opts remaws.StatusWriterOptions) (*fakeaws.Server, ocsf.Finding, *remaws.StatusWriter) {
	t.Helper()
	srv := newServer(t, fakeaws.Options{})
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	raw, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	srv.SecurityHub(admin, region).AddFinding(raw)
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	w, err := remaws.NewStatusWriter(securityhub.NewFromConfig(srv.AWSConfig(admin, region)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, f, w
}

func TestStatusWriterOnTheWire(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	ref := remediate.RefOf(f)
	u := remediate.StatusUpdate{Finding: ref, StatusID: remediate.StatusResolved, Comment: "[ocsfhub plan=p-1] Resolved (ec2-isolate): isolated", PlanID: "p-1"}
	if err := w.WriteStatus(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.SecurityHub(admin, region).Finding(ref.MetadataUID)
	if got.StatusID != 4 || got.Status != "Resolved" || got.Comment != u.Comment {
		t.Errorf("finding = status %d %q comment %q", got.StatusID, got.Status, got.Comment)
	}
	calls := srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")
	if len(calls) != 1 || calls[0].Method != "PATCH" || calls[0].Path != "/findingsv2/batchupdatev2" {
		t.Fatalf("calls = %+v", calls)
	}
	var body struct {
		MetadataUids       []string
		FindingIdentifiers []any
		StatusId           int32
		Comment            string
	}
	if err := calls[0].DecodeJSON(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.MetadataUids) != 1 || body.MetadataUids[0] != ref.MetadataUID || body.FindingIdentifiers != nil || body.StatusId != 4 {
		t.Errorf("body = %+v", body)
	}
	checkDeclared(t, srv, w.Permissions())
}

func TestStatusWriterByIdentifiers(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{PreferIdentifiers: true})
	ref := remediate.RefOf(f)
	if err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: ref, StatusID: remediate.StatusInProgress, Comment: "c"}); err != nil {
		t.Fatal(err)
	}
	var body struct {
		MetadataUids       []string
		FindingIdentifiers []struct{ CloudAccountUid, FindingInfoUid, MetadataProductUid string }
	}
	if err := srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")[0].DecodeJSON(&body); err != nil {
		t.Fatal(err)
	}
	if body.MetadataUids != nil || len(body.FindingIdentifiers) != 1 || body.FindingIdentifiers[0].CloudAccountUid != member ||
		body.FindingIdentifiers[0].FindingInfoUid != ref.FindingUID || body.FindingIdentifiers[0].MetadataProductUid != ref.ProductUID {
		t.Errorf("body = %+v", body)
	}
	if got, _ := srv.SecurityHub(admin, region).Finding(ref.MetadataUID); got.StatusID != 2 {
		t.Errorf("status %d", got.StatusID)
	}
}

func TestStatusWriterRetriesTransientUnprocessed(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	ref := remediate.RefOf(f)
	srv.SecurityHub(admin, region).RejectUpdates(ref.MetadataUID, "ConflictException", "busy", 2)
	if err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: ref, StatusID: remediate.StatusResolved, Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
	// Still conflicting after every attempt: transient for the engine.
	srv.SecurityHub(admin, region).RejectUpdates(ref.MetadataUID, "InternalServerException", "oops", 0)
	err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: ref, StatusID: remediate.StatusNew, Comment: "x"})
	var ue *remaws.UnprocessedError
	if !errors.As(err, &ue) || ue.Code != "InternalServerException" || remediate.Classify(err) != remediate.ClassTransient {
		t.Errorf("error %v (%v)", err, remediate.Classify(err))
	}
}

func TestStatusWriterPermanentUnprocessed(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	ref := remediate.RefOf(f)
	srv.SecurityHub(admin, region).RejectUpdates(ref.MetadataUID, "ValidationException", "bad", 0)
	err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: ref, StatusID: remediate.StatusResolved, Comment: "x"})
	if remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("error %v classified %v", err, remediate.Classify(err))
	}
	if n := len(srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")); n != 1 {
		t.Errorf("%d calls for a permanent rejection", n)
	}
	// An unknown finding: ResourceNotFoundException, permanent.
	other := ref
	other.MetadataUID = strings.Repeat("0", 64)
	err = w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: other, StatusID: remediate.StatusResolved, Comment: "x"})
	if remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("unknown finding: %v (%v)", err, remediate.Classify(err))
	}
}

func TestStatusWriterThrottledCallIsRetried(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2", 2))
	if err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: remediate.RefOf(f), StatusID: remediate.StatusResolved, Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	srv.Inject(fakeaws.Deny(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2"))
	err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: remediate.RefOf(f), StatusID: remediate.StatusResolved, Comment: "x"})
	var ae *remaws.Error
	if !errors.As(err, &ae) || ae.Code() != "AccessDeniedException" || remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("denied: %v", err)
	}
}

func TestStatusWriterUnidentifiable(t *testing.T) {
	_, _, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: remediate.FindingRef{FindingUID: "x"}, StatusID: 4})
	if !errors.Is(err, remaws.ErrUnidentifiable) || remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("error %v", err)
	}
}

func TestStatusWriterTruncatesComment(t *testing.T) {
	srv, f, w := hubWithFinding(t, remaws.StatusWriterOptions{})
	long := strings.Repeat("é", 600)
	if err := w.WriteStatus(t.Context(), remediate.StatusUpdate{Finding: remediate.RefOf(f), StatusID: 2, Comment: long}); err != nil {
		t.Fatal(err)
	}
	var body struct{ Comment string }
	if err := srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")[0].DecodeJSON(&body); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(body.Comment)); n != 512 {
		t.Errorf("comment has %d characters", n)
	}
}
