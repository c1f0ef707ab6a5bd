package fakeaws_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

const productUID = "arn:aws:securityhub:eu-west-1::productv2/aws/guardduty"

func finding(uid, infoUID, account string, statusID int) []byte {
	return fmt.Appendf(nil, `{"class_uid":2004,"metadata":{"uid":%q,"product":{"uid":%q,"name":"GuardDuty"}},
		"finding_info":{"uid":%q,"title":"Recon"},"cloud":{"account":{"uid":%q},"region":"eu-west-1"},
		"status_id":%d,"status":"New","severity_id":4,"severity":"High","resources":[{"uid":"i-1"},{"uid":"i-2"}]}`,
		uid, productUID, infoUID, account, statusID)
}

func TestSecurityHubBatchUpdateFindingsV2(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	hub := srv.SecurityHub(admin, region)
	hub.AddFinding(finding("m-1", "f-1", member, 1))
	hub.AddFinding(finding("m-2", "f-2", member, 1))
	hub.AddFinding(finding("m-3", "f-3", member, 1))
	hub.RejectUpdates("m-3", "ConflictException", "busy", 1)
	c := securityhub.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	out, err := c.BatchUpdateFindingsV2(ctx, &securityhub.BatchUpdateFindingsV2Input{
		MetadataUids: []string{"m-1", "m-404", "m-3"}, StatusId: aws.Int32(2), Comment: aws.String("[ocsfhub plan=p-1] isolating")})
	must(t, err)
	if len(out.ProcessedFindings) != 1 || aws.ToString(out.ProcessedFindings[0].MetadataUid) != "m-1" {
		t.Errorf("processed = %+v", out.ProcessedFindings)
	}
	var codes []string
	for _, u := range out.UnprocessedFindings {
		codes = append(codes, aws.ToString(u.MetadataUid)+":"+string(u.ErrorCode))
	}
	if diff := cmp.Diff([]string{"m-404:ResourceNotFoundException", "m-3:ConflictException"}, codes); diff != "" {
		t.Errorf("unprocessed (-want +got):\n%s", diff)
	}
	f, _ := hub.Finding("m-1")
	if f.StatusID != 2 || f.Status != "In Progress" || f.Comment != "[ocsfhub plan=p-1] isolating" || len(f.Updates) != 1 ||
		f.Updates[0].By != "arn:aws:sts::"+admin+":assumed-role/fakeaws/fakeaws" {
		t.Errorf("finding after update = %+v", f)
	}
	req := srv.Calls(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2")[0]
	var body map[string]any
	must(t, req.DecodeJSON(&body))
	if req.Method != "PATCH" || req.Path != "/findingsv2/batchupdatev2" || body["StatusId"] != 2.0 {
		t.Errorf("request = %s %s %v", req.Method, req.Path, body)
	}

	// By FindingIdentifiers; the rejected finding now goes through.
	out, err = c.BatchUpdateFindingsV2(ctx, &securityhub.BatchUpdateFindingsV2Input{StatusId: aws.Int32(4),
		FindingIdentifiers: []shtypes.OcsfFindingIdentifier{
			{CloudAccountUid: aws.String(member), FindingInfoUid: aws.String("f-3"), MetadataProductUid: aws.String(productUID)},
			{CloudAccountUid: aws.String(admin), FindingInfoUid: aws.String("f-3"), MetadataProductUid: aws.String(productUID)},
		}})
	must(t, err)
	if len(out.ProcessedFindings) != 1 || aws.ToString(out.ProcessedFindings[0].FindingIdentifier.FindingInfoUid) != "f-3" ||
		len(out.UnprocessedFindings) != 1 || aws.ToString(out.UnprocessedFindings[0].FindingIdentifier.CloudAccountUid) != admin {
		t.Errorf("by identifiers = %+v / %+v", out.ProcessedFindings, out.UnprocessedFindings)
	}
	if f, _ := hub.Finding("m-3"); f.StatusID != 4 || f.Status != "Resolved" {
		t.Errorf("m-3 = %+v", f)
	}

	// Validation errors are typed.
	for _, in := range []*securityhub.BatchUpdateFindingsV2Input{
		{MetadataUids: []string{"m-1"}, StatusId: aws.Int32(7)},
		{MetadataUids: []string{"m-1"}},
		{MetadataUids: []string{"m-1"}, StatusId: aws.Int32(1), FindingIdentifiers: []shtypes.OcsfFindingIdentifier{
			{CloudAccountUid: aws.String(member), FindingInfoUid: aws.String("f-1"), MetadataProductUid: aws.String(productUID)}}},
	} {
		_, err := c.BatchUpdateFindingsV2(ctx, in)
		var ve *shtypes.ValidationException
		if !errors.As(err, &ve) {
			t.Errorf("%+v: %v, want ValidationException", in, err)
		}
	}

	// Throttling is retried; access denied is typed and permanent.
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2", 2))
	_, err = c.BatchUpdateFindingsV2(ctx, &securityhub.BatchUpdateFindingsV2Input{MetadataUids: []string{"m-2"}, StatusId: aws.Int32(2)})
	must(t, err)
	srv.ClearFaults()
	srv.Inject(fakeaws.Deny(fakeaws.ServiceSecurityHub, "BatchUpdateFindingsV2"))
	_, err = c.BatchUpdateFindingsV2(ctx, &securityhub.BatchUpdateFindingsV2Input{MetadataUids: []string{"m-2"}, StatusId: aws.Int32(4)})
	var ad *shtypes.AccessDeniedException
	if !errors.As(err, &ad) {
		t.Errorf("deny: %v", err)
	}
	if f, _ := hub.Finding("m-2"); f.StatusID != 2 {
		t.Errorf("a denied update changed the finding: %+v", f)
	}
	// Findings live in the aggregation account and region only.
	srv.ClearFaults()
	_, err = securityhub.NewFromConfig(srv.AWSConfig(member, region)).BatchUpdateFindingsV2(ctx,
		&securityhub.BatchUpdateFindingsV2Input{MetadataUids: []string{"m-1"}, StatusId: aws.Int32(4)})
	must(t, err) // the call succeeds...
	if f, _ := hub.Finding("m-1"); f.StatusID != 2 {
		t.Errorf("member-account update reached the admin hub: %+v", f)
	}
}

func TestSecurityHubGetFindingsV2(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	hub := srv.SecurityHub(admin, region)
	for i := range 7 {
		status := 1
		if i%3 == 0 {
			status = 4
		}
		hub.AddFinding(finding(fmt.Sprintf("m-%d", i), fmt.Sprintf("f-%d", i), member, status))
	}
	c := securityhub.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	in := &securityhub.GetFindingsV2Input{MaxResults: aws.Int32(2),
		Filters: &shtypes.OcsfFindingFilters{CompositeFilters: []shtypes.CompositeFilter{{
			StringFilters: []shtypes.OcsfStringFilter{{FieldName: shtypes.OcsfStringFieldMetadataProductName,
				Filter: &shtypes.StringFilter{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String("GuardDuty")}}},
			NumberFilters: []shtypes.OcsfNumberFilter{{FieldName: shtypes.OcsfNumberFieldStatusId, Filter: &shtypes.NumberFilter{Eq: aws.Float64(1)}}},
			Operator:      shtypes.AllowedOperatorsAnd,
		}}},
		SortCriteria: []shtypes.SortCriterion{{Field: aws.String("metadata.uid"), SortOrder: shtypes.SortOrderDescending}},
	}
	var uids []string
	p := securityhub.NewGetFindingsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, d := range page.Findings {
			raw, err := d.MarshalSmithyDocument()
			must(t, err)
			var f struct {
				Metadata struct {
					UID string `json:"uid"`
				} `json:"metadata"`
			}
			must(t, json.Unmarshal(raw, &f))
			uids = append(uids, f.Metadata.UID)
		}
	}
	if diff := cmp.Diff([]string{"m-5", "m-4", "m-2", "m-1"}, uids); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
