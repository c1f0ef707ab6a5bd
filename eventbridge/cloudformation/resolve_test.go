package cloudformation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// deployEnv is where a parsed template is pretended to be deployed.
type deployEnv struct {
	Region, Account string
}

var defaultEnv = deployEnv{Region: "us-east-1", Account: "123456789012"}

// placeholderResolver replaces intrinsics with type-appropriate placeholder
// values, so that Properties can be checked against the registry schemas:
// Ref of a parameter gives its default (or a value fitting its constraints),
// Ref and GetAtt of a resource give values shaped like the real ones (an
// ARN that matches the schema's ARN pattern, a queue URL, ...), dynamic
// references give a placeholder secret, Fn::Sub/Join/If/Equals/And/Or/Not
// are evaluated.
type placeholderResolver struct {
	env        deployEnv
	params     map[string]any
	resources  map[string]map[string]any
	schemas    map[string]*cfnSchema // optional: GetAtt attributes must be read-only properties
	conditions map[string]bool
	problems   []string
}

const placeholderSecret = "placeholder-secret-value"

var dynamicRef = regexp.MustCompile(`\{\{resolve:(secretsmanager|ssm|ssm-secure):[^}]+\}\}`)

// noValue marks a Ref to AWS::NoValue: the enclosing key or item is dropped.
type noValueT struct{}

var noValue = noValueT{}

func newResolver(tpl map[string]any, env deployEnv, schemas map[string]*cfnSchema) *placeholderResolver {
	r := &placeholderResolver{env: env, params: map[string]any{}, resources: map[string]map[string]any{},
		schemas: schemas, conditions: map[string]bool{}}
	params, _ := tpl["Parameters"].(map[string]any)
	for name, p := range params {
		r.params[name] = r.paramPlaceholder(name, p.(map[string]any))
	}
	res, _ := tpl["Resources"].(map[string]any)
	for id, v := range res {
		r.resources[id] = v.(map[string]any)
	}
	conds, _ := tpl["Conditions"].(map[string]any)
	for _, name := range slices.Sorted(mapsKeys(conds)) {
		r.conditions[name] = r.truth(r.resolve(conds[name]))
	}
	return r
}

func (r *placeholderResolver) fail(format string, a ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, a...))
}

func (r *placeholderResolver) paramPlaceholder(name string, p map[string]any) any {
	var v any
	switch {
	case p["Default"] != nil:
		v = p["Default"]
	case p["Type"] == "Number":
		v = int64(1)
	case p["NoEcho"] == true:
		v = placeholderSecret
	case strings.HasPrefix(fmt.Sprint(p["AllowedPattern"]), "^https://"):
		v = "https://receiver.example.com/findings"
	default:
		v = "placeholder"
	}
	// The placeholder (or the default) must satisfy the parameter's own constraints.
	if s, ok := v.(string); ok {
		if pat, ok := p["AllowedPattern"].(string); ok {
			re, err := regexp.Compile("^(?:" + pat + ")$") // CloudFormation matches the whole value
			if err != nil || !re.MatchString(s) {
				r.fail("parameter %s: %q does not satisfy AllowedPattern %s (%v)", name, s, pat, err)
			}
		}
		if n, ok := num(p["MinLength"]); ok && float64(len(s)) < n {
			r.fail("parameter %s: %q shorter than MinLength", name, s)
		}
		if n, ok := num(p["MaxLength"]); ok && float64(len(s)) > n {
			r.fail("parameter %s: %q longer than MaxLength", name, s)
		}
	}
	return v
}

func (r *placeholderResolver) pseudo(name string) (any, bool) {
	switch name {
	case "AWS::Region":
		return r.env.Region, true
	case "AWS::AccountId":
		return r.env.Account, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::StackName":
		return "placeholder-stack", true
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + r.env.Region + ":" + r.env.Account + ":stack/placeholder-stack/0f0e0d0c-0b0a-0908-0706-050403020100", true
	case "AWS::NoValue":
		return noValue, true
	}
	return nil, false
}

const placeholderUUID = "0f0e0d0c-0b0a-0908-0706-050403020100"

// ref returns what Ref of a resource returns, by resource type.
func (r *placeholderResolver) ref(id string) any {
	if v, ok := r.pseudo(id); ok {
		return v
	}
	if v, ok := r.params[id]; ok {
		return v
	}
	res, ok := r.resources[id]
	if !ok {
		r.fail("Ref to undefined %q", id)
		return "undefined"
	}
	switch typ := res["Type"]; typ {
	case "AWS::SQS::Queue":
		return "https://sqs." + r.env.Region + ".amazonaws.com/" + r.env.Account + "/placeholder-" + strings.ToLower(id)
	case "AWS::Events::Rule":
		return r.getAtt(id, "Arn")
	case "AWS::Events::Connection", "AWS::Events::ApiDestination", "AWS::IAM::Role":
		return "placeholder-" + strings.ToLower(id)
	default:
		r.fail("Ref of %s %s: no placeholder", typ, id)
		return "placeholder"
	}
}

// getAtt returns an attribute value shaped like the real one.
func (r *placeholderResolver) getAtt(id, attr string) any {
	res, ok := r.resources[id]
	if !ok {
		r.fail("GetAtt of undefined resource %q", id)
		return "undefined"
	}
	typ, _ := res["Type"].(string)
	if s := r.schemas[typ]; s != nil && !slices.Contains(s.readOnly, "/properties/"+attr) {
		r.fail("GetAtt %s.%s: %s has no read-only attribute %s", id, attr, typ, attr)
	}
	name := "placeholder-" + strings.ToLower(id)
	reg, acct := r.env.Region, r.env.Account
	switch typ + "." + attr {
	case "AWS::Events::Connection.Arn":
		return "arn:aws:events:" + reg + ":" + acct + ":connection/" + name + "/" + placeholderUUID
	case "AWS::Events::Connection.ArnForPolicy":
		return "arn:aws:events:" + reg + ":" + acct + ":connection/" + name
	case "AWS::Events::Connection.SecretArn":
		return "arn:aws:secretsmanager:" + reg + ":" + acct + ":secret:events!connection/" + name + "/" + placeholderUUID + "-AbCdEf"
	case "AWS::Events::ApiDestination.Arn":
		return "arn:aws:events:" + reg + ":" + acct + ":api-destination/" + name + "/" + placeholderUUID
	case "AWS::Events::ApiDestination.ArnForPolicy":
		return "arn:aws:events:" + reg + ":" + acct + ":api-destination/" + name
	case "AWS::Events::Rule.Arn":
		return "arn:aws:events:" + reg + ":" + acct + ":rule/" + name
	case "AWS::IAM::Role.Arn":
		return "arn:aws:iam::" + acct + ":role/" + name
	case "AWS::IAM::Role.RoleId":
		return "AROAPLACEHOLDER00000"
	case "AWS::SQS::Queue.Arn":
		return "arn:aws:sqs:" + reg + ":" + acct + ":" + name
	case "AWS::SQS::Queue.QueueUrl":
		return r.ref(id)
	case "AWS::SQS::Queue.QueueName":
		return name
	}
	r.fail("GetAtt %s.%s: no placeholder for %s", id, attr, typ)
	return "placeholder"
}

// resolve returns v with every intrinsic replaced.
func (r *placeholderResolver) resolve(v any) any {
	switch x := v.(type) {
	case string:
		return dynamicRef.ReplaceAllString(x, placeholderSecret)
	case []any:
		out := []any{}
		for _, e := range x {
			if rv := r.resolve(e); rv != noValue {
				out = append(out, rv)
			}
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			if rv := r.resolve(e); rv != noValue {
				out[k] = rv
			}
		}
		return out
	}
	return v
}

func (r *placeholderResolver) intrinsic(fn string, arg any) any {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return r.ref(name)
	case "Condition":
		name, _ := arg.(string)
		c, ok := r.conditions[name]
		if !ok {
			r.fail("undefined condition %q", name)
		}
		return c
	case "Fn::GetAtt":
		l := asSlice(arg)
		if len(l) != 2 {
			r.fail("Fn::GetAtt %v: want [resource, attribute]", arg)
			return "placeholder"
		}
		return r.getAtt(fmt.Sprint(l[0]), fmt.Sprint(l[1]))
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok {
			r.fail("Fn::Sub with variables map is not used by the renderer")
			return "placeholder"
		}
		return r.sub(s)
	case "Fn::Join":
		l := asSlice(arg)
		if len(l) != 2 {
			r.fail("Fn::Join %v: want [delimiter, list]", arg)
			return ""
		}
		var parts []string
		for _, p := range asSlice(r.resolve(l[1])) {
			s, ok := p.(string)
			if !ok {
				r.fail("Fn::Join of non-string %v", p)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, fmt.Sprint(l[0]))
	case "Fn::If":
		l := asSlice(arg)
		if len(l) != 3 {
			r.fail("Fn::If %v: want [condition, then, else]", arg)
			return nil
		}
		c, ok := r.conditions[fmt.Sprint(l[0])]
		if !ok {
			r.fail("Fn::If: undefined condition %v", l[0])
		}
		if c {
			return r.resolve(l[1])
		}
		return r.resolve(l[2])
	case "Fn::Equals":
		l := asSlice(r.resolve(arg))
		if len(l) != 2 {
			r.fail("Fn::Equals %v: want 2 values", arg)
			return false
		}
		return jsonEqual(l[0], l[1])
	case "Fn::And", "Fn::Or":
		l := asSlice(arg)
		if len(l) < 2 || len(l) > 10 {
			r.fail("%s takes 2-10 conditions, got %d", fn, len(l))
		}
		acc := fn == "Fn::And"
		for _, c := range l {
			b := r.truth(r.resolve(c))
			if fn == "Fn::And" {
				acc = acc && b
			} else {
				acc = acc || b
			}
		}
		return acc
	case "Fn::Not":
		l := asSlice(arg)
		if len(l) != 1 {
			r.fail("Fn::Not takes 1 condition")
			return false
		}
		return !r.truth(r.resolve(l[0]))
	}
	r.fail("intrinsic %s is not evaluated by the test resolver", fn)
	return "placeholder"
}

func (r *placeholderResolver) truth(v any) bool {
	b, ok := v.(bool)
	if !ok {
		r.fail("condition value %v is not a boolean", v)
	}
	return b
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r *placeholderResolver) sub(s string) string {
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v = r.getAtt(res, attr)
		} else {
			v = r.ref(name)
		}
		return fmt.Sprint(v)
	})
}
