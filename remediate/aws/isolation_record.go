package aws

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// IsolationRecord is the state of an instance before [IsolateInstance]
// changed it: what [RollbackIsolation] restores. It is kept in the isolation
// plan's data (and so in the engine's journal) and, so that a rollback needs
// nothing but the instance, in tags on the instance itself (see
// [IsolationRecord.Tags]).
type IsolationRecord struct {
	// InstanceID is the instance.
	InstanceID string `json:"instance_id"`
	// Interfaces are the instance's network interfaces with their security
	// groups, in device order.
	Interfaces []InterfaceGroups `json:"interfaces"`
	// InstanceProfileARN is the associated instance profile ("" for none).
	InstanceProfileARN string `json:"instance_profile_arn,omitempty"`
	// AutoScalingGroup is the Auto Scaling group the instance belonged to
	// ("" for none) and AutoScaling how isolation took it out
	// ([AutoScalingDetach] or [AutoScalingStandby]).
	AutoScalingGroup string             `json:"auto_scaling_group,omitempty"`
	AutoScaling      AutoScalingAction  `json:"auto_scaling,omitempty"`
	TargetGroups     []TargetGroupEntry `json:"target_groups,omitempty"`
	// TerminationProtection and StopProtection are the prior values of
	// disableApiTermination and disableApiStop.
	TerminationProtection bool `json:"termination_protection"`
	StopProtection        bool `json:"stop_protection"`
}

// InterfaceGroups is a network interface and its security group ids.
type InterfaceGroups struct {
	ID     string   `json:"id"`
	Groups []string `json:"groups"`
}

// TargetGroupEntry is a registration of the instance in an ELBv2 target
// group.
type TargetGroupEntry struct {
	ARN  string `json:"arn"`
	Port int32  `json:"port"`
}

// Tag keys under the prefix (default "ocsfhub").
const (
	tagIsolation  = ":isolation"        // "in-progress" after recording, "isolated" at the end
	tagFinding    = ":finding"          // the finding the isolation is for
	tagPlan       = ":plan"             // the plan that isolated
	tagIsolatedAt = ":isolated-at"      // RFC 3339
	tagPurpose    = ":purpose"          // on groups and snapshots
	tagInstance   = ":instance"         // on snapshots
	tagGroups     = ":prior-groups:"    // + eni id [+ ".N" continuation]
	tagProfile    = ":prior-profile"    // ARN or "none"
	tagASG        = ":prior-asg"        // "<action> <group name>"
	tagTG         = ":prior-tg:"        // + n: "<port> <arn>"
	tagProtection = ":prior-protection" // "termination=<bool> stop=<bool>"
)

// maxTagValue is EC2's limit on tag values.
const maxTagValue = 256

// Tags encodes the record as instance tags under prefix. Long group lists
// continue in keys suffixed ".2", ".3"...
func (r IsolationRecord) Tags(prefix string) map[string]string {
	t := map[string]string{}
	for _, ni := range r.Interfaces {
		key := prefix + tagGroups + ni.ID
		for i, chunk := range chunkWords(ni.Groups, maxTagValue) {
			k := key
			if i > 0 {
				k += "." + strconv.Itoa(i+1)
			}
			t[k] = chunk
		}
	}
	if r.InstanceProfileARN != "" {
		t[prefix+tagProfile] = r.InstanceProfileARN
	} else {
		t[prefix+tagProfile] = "none"
	}
	if r.AutoScalingGroup != "" {
		t[prefix+tagASG] = string(r.AutoScaling) + " " + r.AutoScalingGroup
	}
	for i, tg := range r.TargetGroups {
		t[prefix+tagTG+strconv.Itoa(i+1)] = strconv.Itoa(int(tg.Port)) + " " + tg.ARN
	}
	t[prefix+tagProtection] = fmt.Sprintf("termination=%t stop=%t", r.TerminationProtection, r.StopProtection)
	return t
}

// chunkWords joins words with spaces into strings of at most max bytes.
func chunkWords(words []string, max int) []string {
	var out []string
	cur := ""
	for _, w := range words {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) <= max:
			cur += " " + w
		default:
			out = append(out, cur)
			cur = w
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// ParseIsolationRecord decodes a record from instance tags written with
// [IsolationRecord.Tags] under prefix. ok is false when the tags hold no
// record (the instance was not isolated by this package).
func ParseIsolationRecord(instanceID, prefix string, tags map[string]string) (rec IsolationRecord, ok bool, err error) {
	prot, ok := tags[prefix+tagProtection]
	if !ok {
		return IsolationRecord{}, false, nil
	}
	rec.InstanceID = instanceID
	if _, err := fmt.Sscanf(prot, "termination=%t stop=%t", &rec.TerminationProtection, &rec.StopProtection); err != nil {
		return rec, true, fmt.Errorf("remediate/aws: tag %s%s=%q: %w", prefix, tagProtection, prot, err)
	}
	if p := tags[prefix+tagProfile]; p != "none" {
		rec.InstanceProfileARN = p
	}
	if v := tags[prefix+tagASG]; v != "" {
		action, name, found := strings.Cut(v, " ")
		if !found || name == "" || (action != string(AutoScalingDetach) && action != string(AutoScalingStandby)) {
			return rec, true, fmt.Errorf("remediate/aws: tag %s%s=%q is not \"detach|standby <group>\"", prefix, tagASG, v)
		}
		rec.AutoScaling, rec.AutoScalingGroup = AutoScalingAction(action), name
	}
	groups := map[string][]string{}
	type tgAt struct {
		n  int
		tg TargetGroupEntry
	}
	var tgs []tgAt
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := tags[k]
		switch {
		case strings.HasPrefix(k, prefix+tagGroups):
			eni := strings.TrimPrefix(k, prefix+tagGroups)
			eni, _, _ = strings.Cut(eni, ".")
			groups[eni] = append(groups[eni], strings.Fields(v)...)
		case strings.HasPrefix(k, prefix+tagTG):
			n, err := strconv.Atoi(strings.TrimPrefix(k, prefix+tagTG))
			port, arn, found := strings.Cut(v, " ")
			p, perr := strconv.Atoi(port)
			if err != nil || !found || perr != nil || arn == "" {
				return rec, true, fmt.Errorf("remediate/aws: tag %s=%q is not \"<port> <target group arn>\"", k, v)
			}
			tgs = append(tgs, tgAt{n, TargetGroupEntry{ARN: arn, Port: int32(p)}})
		}
	}
	enis := make([]string, 0, len(groups))
	for eni := range groups {
		enis = append(enis, eni)
	}
	slices.Sort(enis)
	for _, eni := range enis {
		rec.Interfaces = append(rec.Interfaces, InterfaceGroups{ID: eni, Groups: groups[eni]})
	}
	slices.SortFunc(tgs, func(a, b tgAt) int { return a.n - b.n })
	for _, t := range tgs {
		rec.TargetGroups = append(rec.TargetGroups, t.tg)
	}
	return rec, true, nil
}

// recordTagKeys returns every tag key of the package under prefix found in
// tags (what a rollback removes).
func recordTagKeys(prefix string, tags map[string]string) []string {
	var out []string
	for k := range tags {
		for _, s := range []string{tagIsolation, tagFinding, tagPlan, tagIsolatedAt, tagProfile, tagASG, tagProtection} {
			if k == prefix+s {
				out = append(out, k)
			}
		}
		if strings.HasPrefix(k, prefix+tagGroups) || strings.HasPrefix(k, prefix+tagTG) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
