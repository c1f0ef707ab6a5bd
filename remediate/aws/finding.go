package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// resource is one resource of a finding, resolved for acting on it: its own
// id, its ARN (given or built), and the account, Region and partition to act
// in.
type resource struct {
	Type      string
	ID        string // bare id: instance id, group id, bucket name, key id, account id
	ARN       string
	Name      string
	Account   string
	Region    string
	Partition string
	index     int // position in resources[]
}

// ref converts r to the engine's resource view.
func (r resource) ref(uid string) remediate.Resource {
	return remediate.Resource{Type: r.Type, UID: uid, ARN: r.ARN, Name: r.Name, Region: r.Region, AccountUID: r.Account}
}

// findResources returns the finding's resources of type typ (compared by
// canonical name), resolved per the project's rule for identifiers: the id
// is uid unless uid is an ARN (then the ARN's last segment, or the bucket
// name for S3); the ARN is uid_alt or uid when either is one, else it is
// built from the type, id, Region, account and partition. Account and Region
// default to the finding's cloud.account.uid and cloud.region (IAM's
// "global" Region too).
func findResources(f ocsf.Finding, typ string) []resource {
	s := f.Summary()
	var out []resource
	for i, r := range s.Resources {
		if !r.Is(typ) {
			continue
		}
		res := resource{Type: ocsf.CanonicalResourceType(r.Type), Name: r.Name, Account: r.AccountUID,
			Region: r.Region, Partition: r.Partition, index: i}
		if res.Account == "" {
			res.Account = s.AccountUID
		}
		if res.Region == "" || res.Region == "global" {
			res.Region = s.Region
		}
		if res.Partition == "" {
			res.Partition = partitionOf(s.ProductUID)
		}
		if a, ok := r.ARN(); ok {
			res.ARN = a.String()
			if a.Partition != "" {
				res.Partition = a.Partition
			}
			if res.Account == "" {
				res.Account = a.AccountID
			}
		}
		res.ID = r.UID
		if a, err := ocsf.ParseARN(r.UID); err == nil {
			res.ID = a.ResourceID()
			if a.Service == "s3" {
				res.ID, _, _ = strings.Cut(a.Resource, "/")
			}
		}
		if res.ARN == "" {
			res.ARN = buildARN(res)
		}
		if res.ID == "" {
			continue
		}
		out = append(out, res)
	}
	return out
}

// partitionOf returns the partition of an ARN, "aws" when it is not one.
func partitionOf(arn string) string {
	if a, err := ocsf.ParseARN(arn); err == nil {
		return a.Partition
	}
	return "aws"
}

// buildARN builds the ARN of a resource given by its bare id, for the types
// the remediators handle.
func buildARN(r resource) string {
	p := r.Partition
	if p == "" {
		p = "aws"
	}
	switch r.Type {
	case ocsf.ResourceTypeEC2Instance:
		return fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", p, r.Region, r.Account, r.ID)
	case ocsf.ResourceTypeEC2SecurityGroup:
		return fmt.Sprintf("arn:%s:ec2:%s:%s:security-group/%s", p, r.Region, r.Account, r.ID)
	case ocsf.ResourceTypeS3Bucket:
		return fmt.Sprintf("arn:%s:s3:::%s", p, r.ID)
	case ocsf.ResourceTypeIAMUser:
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, r.Account, r.ID)
	case ocsf.ResourceTypeIAMRole:
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, r.Account, r.ID)
	}
	return ""
}

// checkClass returns ErrNotApplicable unless the finding's class is one of
// classes (empty allows every class).
func checkClass(name string, f ocsf.Finding, classes []ocsf.ClassUID) error {
	if len(classes) == 0 || slices.Contains(classes, f.ClassUID()) {
		return nil
	}
	return notApplicable(name, "class %d is not one of %v", f.ClassUID(), classes)
}

// rawResource is the part of a raw resources[] entry the summary does not
// carry.
type rawResource struct {
	Type string          `json:"type"`
	UID  string          `json:"uid"`
	Data json.RawMessage `json:"data"`
}

// rawResources decodes resources[] from the finding's JSON.
func rawResources(f ocsf.Finding) []rawResource {
	b, err := f.MarshalJSON()
	if err != nil {
		return nil
	}
	var v struct {
		Resources []rawResource `json:"resources"`
	}
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v.Resources
}

// compliance returns compliance.control of the finding ("" when none).
func complianceControl(f ocsf.Finding) string {
	b, err := f.MarshalJSON()
	if err != nil {
		return ""
	}
	var v struct {
		Compliance struct {
			Control string `json:"control"`
		} `json:"compliance"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v.Compliance.Control
}

// findingTag is the value tagged on resources to name the finding (at most
// 256 characters, EC2's tag value limit).
func findingTag(ref remediate.FindingRef) string {
	v := ref.ID()
	if len(v) > 256 {
		v = v[len(v)-256:]
	}
	return v
}

// checkFinding is the start of every Plan: it returns ctx's error, or
// ErrNotApplicable unless the finding's class is one of classes.
func checkFinding(ctx context.Context, name string, f ocsf.Finding, classes []ocsf.ClassUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return checkClass(name, f, classes)
}

// resourcesInOneTarget returns the finding's resources of type typ and the
// account and Region they share. It is ErrNotApplicable when the finding
// names none, or when they span accounts or Regions (what names them in
// that message: "buckets").
func resourcesInOneTarget(name string, f ocsf.Finding, typ, what string) ([]resource, target, error) {
	rs := findResources(f, typ)
	if len(rs) == 0 {
		return nil, target{}, notApplicable(name, "the finding names no %s", typ)
	}
	tgt := target{Account: rs[0].Account, Region: rs[0].Region}
	for _, r := range rs[1:] {
		if r.Account != tgt.Account || r.Region != tgt.Region {
			return nil, target{}, notApplicable(name, "the finding's %s span accounts or Regions", what)
		}
	}
	return rs, tgt, nil
}
