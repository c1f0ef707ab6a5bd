package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Remediator names [Registry] knows.
const (
	NameIsolate              = "ec2-isolate"
	NameRollback             = "ec2-isolate-rollback"
	NameRevoke               = "ec2-revoke-open-ingress"
	NameRevokeRollback       = "ec2-revoke-open-ingress-rollback"
	NameContain              = "iam-contain-credentials"
	NameBucketBlock          = "s3-block-public-access"
	NameBucketBlockRollback  = "s3-block-public-access-rollback"
	NameAccountBlock         = "s3-account-block-public-access"
	NameAccountBlockRollback = "s3-account-block-public-access-rollback"
)

// RegistryOptions configure [Registry].
type RegistryOptions struct {
	// Journal is where the rollbacks of revocations and public access
	// blocks find the plans they undo: the engine's store. Without it, a
	// rule file configuring one of them fails to load with [ErrConfig].
	Journal PlanJournal
}

// Registry returns the factories of this package's remediators for
// remediate.LoadRules, all acting through src. Parameters in a rule file's
// remediators section (unknown keys are errors):
//
//	ec2-isolate:              {snapshot: true, profile: replace, deny_all_profile: ocsfhub-deny-all,
//	                           auto_scaling: detach|standby|none, keep_load_balancers: false,
//	                           keep_tracked_connections: false, no_protection: false,
//	                           group_name: ocsfhub-isolation, tag_prefix: ocsfhub, classes: [2004]}
//	ec2-isolate-rollback:     {tag_prefix: ocsfhub, classes: []}
//	ec2-revoke-open-ingress:  {ports: [22, 3389, "8000-8100"], allowed_ports: [443], classes: []}
//	ec2-revoke-open-ingress-rollback:        {classes: []}
//	iam-contain-credentials:  {revoke_sessions: true, delete_login_profile: false, policy_name: ..., classes: [2004]}
//	s3-block-public-access:   {classes: []}
//	s3-block-public-access-rollback:         {classes: []}
//	s3-account-block-public-access:          {controls: [S3.1], classes: []}
//	s3-account-block-public-access-rollback: {classes: []}
//
// The three "-rollback" remediators after a revocation or a block read the
// plans they undo from [RegistryOptions.Journal]:
//
//	store, _ := boltstore.Open(path, nil)
//	rs, err := remediate.LoadRules(name, data, aws.Registry(cf, logger, func(o *aws.RegistryOptions) {
//		o.Journal = store
//	}))
func Registry(src ConfigSource, logger *slog.Logger, optFns ...func(*RegistryOptions)) remediate.Registry {
	var o RegistryOptions
	for _, fn := range optFns {
		fn(&o)
	}
	// rollbackParams are the parameters of the journal-backed rollbacks.
	type rollbackParams struct {
		Classes []ocsf.ClassUID `json:"classes"`
	}
	return remediate.Registry{
		NameRevokeRollback: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p rollbackParams
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewRollbackRevokedIngress(src, o.Journal, RevokeRollbackOptions{Classes: p.Classes, Logger: logger})
		},
		NameBucketBlockRollback: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p rollbackParams
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewRollbackBucketPublicAccess(src, o.Journal, PublicAccessRollbackOptions{Classes: p.Classes, Logger: logger})
		},
		NameAccountBlockRollback: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p rollbackParams
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewRollbackAccountPublicAccess(src, o.Journal, PublicAccessRollbackOptions{Classes: p.Classes, Logger: logger})
		},
		NameIsolate: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				GroupName              string            `json:"group_name"`
				KeepTrackedConnections bool              `json:"keep_tracked_connections"`
				AutoScaling            AutoScalingAction `json:"auto_scaling"`
				KeepLoadBalancers      bool              `json:"keep_load_balancers"`
				NoProtection           bool              `json:"no_protection"`
				Snapshot               bool              `json:"snapshot"`
				Profile                ProfileAction     `json:"profile"`
				DenyAllProfile         string            `json:"deny_all_profile"`
				TagPrefix              string            `json:"tag_prefix"`
				Classes                []ocsf.ClassUID   `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewIsolateInstance(src, IsolateOptions{GroupName: p.GroupName, KeepTrackedConnections: p.KeepTrackedConnections,
				AutoScaling: p.AutoScaling, KeepLoadBalancers: p.KeepLoadBalancers, NoProtection: p.NoProtection, Snapshot: p.Snapshot,
				Profile: p.Profile, DenyAllProfile: p.DenyAllProfile, TagPrefix: p.TagPrefix, Classes: p.Classes, Logger: logger})
		},
		NameRollback: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				TagPrefix string          `json:"tag_prefix"`
				Classes   []ocsf.ClassUID `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewRollbackIsolation(src, RollbackOptions{TagPrefix: p.TagPrefix, Classes: p.Classes, Logger: logger})
		},
		NameRevoke: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				Ports        []portSpec      `json:"ports"`
				AllowedPorts []portSpec      `json:"allowed_ports"`
				Classes      []ocsf.ClassUID `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewRevokeOpenIngress(src, RevokeOptions{Ports: ranges(p.Ports), AllowedPorts: ranges(p.AllowedPorts), Classes: p.Classes, Logger: logger})
		},
		NameContain: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				RevokeSessions     bool            `json:"revoke_sessions"`
				DeleteLoginProfile bool            `json:"delete_login_profile"`
				PolicyName         string          `json:"policy_name"`
				Classes            []ocsf.ClassUID `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewContainCredentials(src, ContainOptions{RevokeSessions: p.RevokeSessions, DeleteLoginProfile: p.DeleteLoginProfile,
				PolicyName: p.PolicyName, Classes: p.Classes, Logger: logger})
		},
		NameBucketBlock: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				Classes []ocsf.ClassUID `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewBlockBucketPublicAccess(src, PublicAccessOptions{Classes: p.Classes, Logger: logger})
		},
		NameAccountBlock: func(raw json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				Controls []string        `json:"controls"`
				Classes  []ocsf.ClassUID `json:"classes"`
			}
			if err := strictJSON(raw, &p); err != nil {
				return nil, err
			}
			return NewBlockAccountPublicAccess(src, PublicAccessOptions{Controls: p.Controls, Classes: p.Classes, Logger: logger})
		},
	}
}

// strictJSON decodes params (nil: nothing), rejecting unknown keys.
func strictJSON(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// portSpec is a port (22) or a range ("8000-8100") in a rule file.
type portSpec PortRange

// UnmarshalJSON reads a number or a "from-to" string.
func (p *portSpec) UnmarshalJSON(b []byte) error {
	var n int32
	if err := json.Unmarshal(b, &n); err == nil {
		*p = portSpec{From: n, To: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("port %s: want a number or \"from-to\"", b)
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		to = from
	}
	f, err1 := strconv.ParseInt(strings.TrimSpace(from), 10, 32)
	t, err2 := strconv.ParseInt(strings.TrimSpace(to), 10, 32)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("port %q: want a number or \"from-to\"", s)
	}
	*p = portSpec{From: int32(f), To: int32(t)}
	return nil
}

func ranges(ps []portSpec) []PortRange {
	out := make([]PortRange, 0, len(ps))
	for _, p := range ps {
		out = append(out, PortRange(p))
	}
	return out
}
