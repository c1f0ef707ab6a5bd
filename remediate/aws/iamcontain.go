package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// ContainIAMAPI is the part of the IAM API [ContainCredentials] calls.
type ContainIAMAPI interface {
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	PutUserPolicy(context.Context, *iam.PutUserPolicyInput, ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
}

var _ ContainIAMAPI = (*iam.Client)(nil)

// DefaultRevokePolicyName is the inline policy name the IAM console's
// "Revoke active sessions" uses.
const DefaultRevokePolicyName = "AWSRevokeOlderSessions"

// ContainOptions configure [ContainCredentials].
type ContainOptions struct {
	// Name is the remediator name (default "iam-contain-credentials").
	Name string
	// Classes are the finding classes it acts on (default: Detection
	// Finding 2004).
	Classes []ocsf.ClassUID
	// RevokeSessions also revokes the temporary credentials of the user or
	// role: an inline policy denying everything to sessions whose
	// aws:TokenIssueTime is before now, as the IAM console does. For a role
	// this ends every current session of the role, for every caller (all
	// instances of an instance profile, for example). It does not affect
	// long-term access keys: those are deactivated separately. Findings
	// about temporary keys (ASIA...) need it, since such a key cannot be
	// deactivated.
	RevokeSessions bool
	// DeleteLoginProfile deletes the user's console password (it cannot be
	// deactivated; a new one can be set later).
	DeleteLoginProfile bool
	// PolicyName names the revoke policy (default
	// [DefaultRevokePolicyName]).
	PolicyName string
	// Clients, when set, replaces the SDK client built from the
	// [ConfigSource].
	Clients func(ctx context.Context, t Target) (ContainIAMAPI, error)
	// Now is the clock of the revoke cut-off (default time.Now).
	Now func() time.Time
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// ContainCredentials is a [remediate.Remediator] that contains compromised
// IAM credentials named by a finding: an access key (resources[] of type
// AWS::IAM::AccessKey, whose uid is the key id), a user (AWS::IAM::User) or
// a role (AWS::IAM::Role).
//
//   - A long-term key (AKIA...) is deactivated, not deleted (UpdateAccessKey
//     Status=Inactive: reversible, and the key id stays searchable in
//     CloudTrail). Its user comes from the finding (GuardDuty's
//     resources[].data.user_name) or from GetAccessKeyLastUsed; the key is
//     read back with ListAccessKeys to verify it is Inactive.
//   - With [ContainOptions.RevokeSessions], the user's or role's sessions
//     are revoked (see there); a temporary key (ASIA...) of an assumed role
//     revokes that role's sessions. The policy is read back to verify it.
//   - With [ContainOptions.DeleteLoginProfile], the user's console password
//     is deleted and its absence verified.
//
// IAM changes take effect within seconds to minutes (eventual consistency).
type ContainCredentials struct {
	opts    ContainOptions
	clients func(ctx context.Context, t Target) (ContainIAMAPI, error)
	log     *slog.Logger
	now     func() time.Time
}

var _ remediate.Remediator = (*ContainCredentials)(nil)

// NewContainCredentials returns the remediator acting through src.
func NewContainCredentials(src ConfigSource, opts ContainOptions) (*ContainCredentials, error) {
	if opts.Name == "" {
		opts.Name = "iam-contain-credentials"
	}
	if opts.Classes == nil {
		opts.Classes = []ocsf.ClassUID{ocsf.ClassDetectionFinding}
	}
	if opts.PolicyName == "" {
		opts.PolicyName = DefaultRevokePolicyName
	}
	r := &ContainCredentials{opts: opts, log: logger(opts.Logger), now: clock(opts.Now)}
	clients, err := clientsFrom(src, opts.Clients, func(cfg awssdk.Config) ContainIAMAPI { return iam.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *ContainCredentials) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply may call.
func (r *ContainCredentials) Permissions() []string {
	p := []string{"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"}
	if r.opts.RevokeSessions {
		p = append(p, "iam:GetRolePolicy", "iam:GetUserPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy")
	}
	if r.opts.DeleteLoginProfile {
		p = append(p, "iam:DeleteLoginProfile", "iam:GetLoginProfile")
	}
	slices.Sort(p)
	return p
}

type containData struct {
	Target target `json:"target"`
}

type (
	keyParams struct {
		UserName    string `json:"user_name"`
		AccessKeyID string `json:"access_key_id"`
	}
	sessionParams struct {
		Kind       string `json:"kind"` // "user" or "role"
		Name       string `json:"name"`
		PolicyName string `json:"policy_name"`
	}
	loginParams struct {
		UserName string `json:"user_name"`
	}
)

// principal is an IAM identity the finding implicates.
type principal struct {
	kind string // "user", "role"
	name string
}

// keyData is GuardDuty's resources[].data for an access key.
type keyData struct {
	AccessKeyID string `json:"access_key_id"`
	UserName    string `json:"user_name"`
	UserType    string `json:"user_type"`
}

// Plan finds the credentials and plans what is still active.
func (r *ContainCredentials) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	keys := findResources(f, ocsf.ResourceTypeIAMAccessKey)
	users := findResources(f, ocsf.ResourceTypeIAMUser)
	roles := findResources(f, ocsf.ResourceTypeIAMRole)
	all := slices.Concat(keys, users, roles)
	if len(all) == 0 {
		return nil, notApplicable(r.Name(), "the finding names no access key, user or role")
	}
	tgt := target{Account: all[0].Account, Region: all[0].Region}
	for _, x := range all {
		if x.Account != tgt.Account {
			return nil, notApplicable(r.Name(), "the finding's credentials span accounts")
		}
	}
	ref := remediate.RefOf(f)
	c, err := r.clients(ctx, tgt.with(ref))
	if err != nil {
		return nil, err
	}
	part := all[0].Partition
	raw := rawResources(f)
	p := &remediate.Plan{Destructive: true}
	var principals []principal
	addPrincipal := func(kind, name string) {
		if name != "" && !slices.Contains(principals, principal{kind, name}) {
			principals = append(principals, principal{kind, name})
		}
	}
	var notes []string
	for _, k := range keys {
		var kd keyData
		if k.index < len(raw) && len(raw[k.index].Data) > 0 {
			_ = json.Unmarshal(raw[k.index].Data, &kd) // data is optional and producer-specific
		}
		id := k.ID
		switch {
		case strings.HasPrefix(id, "ASIA"):
			// Temporary credentials: only revoking sessions stops them.
			switch kd.UserType {
			case "AssumedRole":
				addPrincipal("role", kd.UserName)
			case "IAMUser":
				addPrincipal("user", kd.UserName)
			default:
				notes = append(notes, fmt.Sprintf("temporary key %s of a %q principal", id, kd.UserType))
			}
		case strings.HasPrefix(id, "AKIA"):
			if kd.UserType == "Root" {
				return nil, notApplicable(r.Name(), "key %s belongs to the root user; rotate it by hand", id)
			}
			user := ""
			if kd.UserType == "IAMUser" || kd.UserType == "" {
				user = kd.UserName
			}
			if user == "" {
				out, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: awssdk.String(id)})
				if err != nil {
					if isCode(err, "NoSuchEntity") {
						notes = append(notes, "key "+id+" does not exist in "+tgt.Account)
						continue
					}
					return nil, wrap("iam:GetAccessKeyLastUsed", id, err)
				}
				user = awssdk.ToString(out.UserName)
			}
			status, found, err := keyStatus(ctx, c, user, id)
			if err != nil {
				return nil, err
			}
			if !found {
				notes = append(notes, "key "+id+" is not a key of user "+user)
				continue
			}
			if status != iamtypes.StatusTypeInactive {
				p.Changes = append(p.Changes, newChange("deactivate/"+id, "iam:UpdateAccessKey", iamARN(part, tgt.Account, "user", user),
					"deactivate access key "+id+" of user "+user+" (Status=Inactive; not deleted)", keyParams{UserName: user, AccessKeyID: id}))
			}
			if kd.UserType == "IAMUser" || kd.UserType == "" {
				addPrincipal("user", user)
			}
		default:
			notes = append(notes, "resource "+id+" is not an access key id")
		}
	}
	for _, u := range users {
		addPrincipal("user", u.ID)
	}
	for _, ro := range roles {
		addPrincipal("role", ro.ID)
	}
	for _, pr := range principals {
		if r.opts.RevokeSessions {
			cut, err := revokeCutoff(ctx, c, pr, r.opts.PolicyName)
			if err != nil {
				return nil, err
			}
			if cut.IsZero() || cut.Before(ref.ModifiedTime) {
				action := "iam:PutUserPolicy"
				if pr.kind == "role" {
					action = "iam:PutRolePolicy"
				}
				p.Changes = append(p.Changes, newChange("revoke-sessions/"+pr.kind+"/"+pr.name, action, iamARN(part, tgt.Account, pr.kind, pr.name),
					fmt.Sprintf("revoke every session of %s %s issued before now (inline deny policy %s on aws:TokenIssueTime)", pr.kind, pr.name, r.opts.PolicyName),
					sessionParams{Kind: pr.kind, Name: pr.name, PolicyName: r.opts.PolicyName}))
			}
		}
		if r.opts.DeleteLoginProfile && pr.kind == "user" {
			has, err := hasLoginProfile(ctx, c, pr.name)
			if err != nil {
				return nil, err
			}
			if has {
				p.Changes = append(p.Changes, newChange("login-profile/"+pr.name, "iam:DeleteLoginProfile", iamARN(part, tgt.Account, "user", pr.name),
					"delete the console password of user "+pr.name, loginParams{UserName: pr.name}))
			}
		}
	}
	if len(p.Changes) == 0 {
		why := "every credential is already contained"
		if len(principals) > 0 && !r.opts.RevokeSessions {
			why = "nothing to deactivate, and session revocation is off"
		}
		if len(notes) > 0 {
			why += " (" + strings.Join(notes, "; ") + ")"
		}
		return nil, notApplicable(r.Name(), "%s", why)
	}
	for _, x := range all {
		p.Resources = append(p.Resources, x.ref(x.ID))
	}
	p.Summary = fmt.Sprintf("contain IAM credentials in %s (%d change(s))", tgt.Account, len(p.Changes))
	p.Data = mustJSON(containData{Target: tgt})
	return p, nil
}

func iamARN(partition, account, kind, name string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":" + kind + "/" + name
}

// keyStatus returns a key's status, and whether the user has it.
func keyStatus(ctx context.Context, c ContainIAMAPI, user, id string) (iamtypes.StatusType, bool, error) {
	p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: awssdk.String(user)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			if isCode(err, "NoSuchEntity") {
				return "", false, nil
			}
			return "", false, wrap("iam:ListAccessKeys", user, err)
		}
		for _, k := range out.AccessKeyMetadata {
			if awssdk.ToString(k.AccessKeyId) == id {
				return k.Status, true, nil
			}
		}
	}
	return "", false, nil
}

func hasLoginProfile(ctx context.Context, c ContainIAMAPI, user string) (bool, error) {
	_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: awssdk.String(user)})
	if err == nil {
		return true, nil
	}
	if isCode(err, "NoSuchEntity") {
		return false, nil
	}
	return false, wrap("iam:GetLoginProfile", user, err)
}

// revokeDocument is the policy the IAM console's "Revoke active sessions"
// attaches.
type revokeDocument struct {
	Version   string `json:"Version"`
	Statement []struct {
		Effect    string                       `json:"Effect"`
		Action    any                          `json:"Action"`
		Resource  any                          `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition"`
	} `json:"Statement"`
}

// RevokeSessionsPolicy returns the inline policy document that denies every
// action to sessions issued before cutoff.
func RevokeSessionsPolicy(cutoff time.Time) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],` +
		`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + cutoff.UTC().Format(time.RFC3339) + `"}}}]}`
}

// revokeCutoff returns the cut-off of the principal's existing revoke
// policy named policyName, or zero when there is none (or it is not one of
// ours).
func revokeCutoff(ctx context.Context, c ContainIAMAPI, pr principal, policyName string) (time.Time, error) {
	var doc string
	var err error
	if pr.kind == "role" {
		var out *iam.GetRolePolicyOutput
		out, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: awssdk.String(pr.name), PolicyName: awssdk.String(policyName)})
		if err == nil {
			doc = awssdk.ToString(out.PolicyDocument)
		}
	} else {
		var out *iam.GetUserPolicyOutput
		out, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: awssdk.String(pr.name), PolicyName: awssdk.String(policyName)})
		if err == nil {
			doc = awssdk.ToString(out.PolicyDocument)
		}
	}
	if err != nil {
		if isCode(err, "NoSuchEntity") {
			return time.Time{}, nil
		}
		return time.Time{}, wrap("iam:Get"+capital(pr.kind)+"Policy", pr.name, err)
	}
	return parseCutoff(doc), nil
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseCutoff reads aws:TokenIssueTime from a revoke policy (IAM returns
// documents URL-encoded).
func parseCutoff(doc string) time.Time {
	if u, err := url.QueryUnescape(doc); err == nil {
		doc = u
	}
	var d revokeDocument
	if json.Unmarshal([]byte(doc), &d) != nil {
		return time.Time{}
	}
	for _, s := range d.Statement {
		if s.Effect != "Deny" {
			continue
		}
		if v, ok := s.Condition["DateLessThan"]["aws:TokenIssueTime"]; ok {
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// Apply deactivates, revokes and deletes what is still active, verifying
// each change by reading it back.
func (r *ContainCredentials) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d containData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		switch {
		case strings.HasPrefix(ch.ID, "deactivate/"):
			var pr keyParams
			if err := decodeParams(ch, &pr); err != nil {
				return "", "", err
			}
			return deactivateKey(ctx, c, pr)
		case strings.HasPrefix(ch.ID, "revoke-sessions/"):
			var pr sessionParams
			if err := decodeParams(ch, &pr); err != nil {
				return "", "", err
			}
			return r.revokeSessions(ctx, c, pr, p.Finding.ModifiedTime)
		case strings.HasPrefix(ch.ID, "login-profile/"):
			var pr loginParams
			if err := decodeParams(ch, &pr); err != nil {
				return "", "", err
			}
			has, err := hasLoginProfile(ctx, c, pr.UserName)
			if err != nil {
				return "", "", err
			}
			if !has {
				return remediate.OutcomeAlreadyDone, "no console password", nil
			}
			if _, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: awssdk.String(pr.UserName)}); err != nil && !isCode(err, "NoSuchEntity") {
				return "", "", wrap("iam:DeleteLoginProfile", pr.UserName, err)
			}
			if has, err = hasLoginProfile(ctx, c, pr.UserName); err != nil {
				return "", "", err
			} else if has {
				return "", "", notEffective("iam:DeleteLoginProfile", pr.UserName, "the login profile still exists")
			}
			return remediate.OutcomeApplied, "console password deleted", nil
		}
		return "", "", remediate.Permanent(fmt.Errorf("%s: unknown change %q", r.Name(), ch.ID))
	})
}

func deactivateKey(ctx context.Context, c ContainIAMAPI, pr keyParams) (remediate.OutcomeStatus, string, error) {
	status, found, err := keyStatus(ctx, c, pr.UserName, pr.AccessKeyID)
	if err != nil {
		return "", "", err
	}
	if !found {
		return remediate.OutcomeSkipped, "the key no longer exists (deleted)", nil
	}
	if status == iamtypes.StatusTypeInactive {
		return remediate.OutcomeAlreadyDone, "Inactive", nil
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: awssdk.String(pr.UserName),
		AccessKeyId: awssdk.String(pr.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		return "", "", wrap("iam:UpdateAccessKey", pr.AccessKeyID, err)
	}
	status, _, err = keyStatus(ctx, c, pr.UserName, pr.AccessKeyID)
	if err != nil {
		return "", "", err
	}
	if status != iamtypes.StatusTypeInactive {
		return "", "", notEffective("iam:UpdateAccessKey", pr.AccessKeyID, "the key is %s after the update", status)
	}
	return remediate.OutcomeApplied, "Inactive (verified)", nil
}

// revokeSessions puts the revoke policy with the current time as cut-off,
// unless a policy with a cut-off at or after the finding's generation is
// there already (re-running must not move the cut-off past a legitimate
// re-authentication). The policy is the plan's (pr.PolicyName), read and
// written under that name whatever the remediator is configured with now.
func (r *ContainCredentials) revokeSessions(ctx context.Context, c ContainIAMAPI, pr sessionParams, generation time.Time) (remediate.OutcomeStatus, string, error) {
	who := principal{pr.Kind, pr.Name}
	cut, err := revokeCutoff(ctx, c, who, pr.PolicyName)
	if err != nil {
		return "", "", err
	}
	if !cut.IsZero() && !cut.Before(generation) {
		return remediate.OutcomeAlreadyDone, "sessions issued before " + cut.Format(time.RFC3339) + " are already revoked", nil
	}
	// The cut-off is now, or the finding's generation when the local clock
	// lags behind it (so that planning again converges).
	now := r.now().UTC()
	if now.Before(generation) {
		now = generation.UTC()
	}
	now = now.Truncate(time.Second).Add(time.Second)
	doc := RevokeSessionsPolicy(now)
	if pr.Kind == "role" {
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: awssdk.String(pr.Name), PolicyName: awssdk.String(pr.PolicyName), PolicyDocument: awssdk.String(doc)})
	} else {
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: awssdk.String(pr.Name), PolicyName: awssdk.String(pr.PolicyName), PolicyDocument: awssdk.String(doc)})
	}
	if err != nil {
		return "", "", wrap("iam:Put"+capital(pr.Kind)+"Policy", pr.Name, err)
	}
	after, err := revokeCutoff(ctx, c, who, pr.PolicyName)
	if err != nil {
		return "", "", err
	}
	if !after.Equal(now) {
		return "", "", notEffective("iam:Put"+capital(pr.Kind)+"Policy", pr.Name, "the policy reads back with cut-off %v", after)
	}
	return remediate.OutcomeApplied, "sessions issued before " + now.Format(time.RFC3339) + " revoked", nil
}
