package validator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func classOf(t testing.TB, e *Engine, version string, uid int64) (*Model, *Item) {
	t.Helper()
	m, err := e.Model(version)
	if err != nil {
		t.Fatal(err)
	}
	c := m.ClassByUID(uid)
	if c == nil {
		t.Fatalf("no class %d in %s", uid, version)
	}
	return m, c
}

// TestServerStyleRules checks the generated server-style schema against the
// rules of ocsf-server's json_schema.ex (notes §3), on detection_finding 1.6.0.
func TestServerStyleRules(t *testing.T) {
	e := newEngine(t, Options{})
	m, c := classOf(t, e, "1.6.0", 2004)
	all := JSONSchema(m, c, nil, StyleServer)
	filtered := JSONSchema(m, c, NewProfileSet("cloud", "datetime"), StyleServer)

	req := func(doc map[string]any) string { return strings.Join(doc["required"].([]string), ",") }
	if got, want := req(all), "activity_id,category_uid,class_uid,cloud,finding_info,metadata,osint,severity_id,time,type_uid"; got != want {
		t.Errorf("required without profiles = %s, want %s", got, want)
	}
	if got, want := req(filtered), "activity_id,category_uid,class_uid,cloud,finding_info,metadata,severity_id,time,type_uid"; got != want {
		t.Errorf("required with cloud,datetime = %s, want %s", got, want)
	}
	props := all["properties"].(map[string]any)
	if all["additionalProperties"] != false || all["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("root: additionalProperties %v $schema %v", all["additionalProperties"], all["$schema"])
	}
	if got := props["class_uid"].(map[string]any)["const"]; got != int64(2004) {
		t.Errorf("class_uid const = %v", got)
	}
	if got := props["severity_id"].(map[string]any)["enum"]; fmt.Sprint(got) != "[0 1 2 3 4 5 6 99]" {
		t.Errorf("severity_id enum = %v", got)
	}
	if _, ok := props["type_uid"].(map[string]any)["enum"]; ok {
		t.Error("type_uid (long_t) is enum-restricted")
	}
	if got := props["resources"].(map[string]any); got["type"] != "array" || got["items"].(map[string]any)["$ref"] != "#/$defs/resource_details" {
		t.Errorf("resources = %v", got)
	}
	defs := all["$defs"].(map[string]any)
	if defs["object"].(map[string]any)["additionalProperties"] != true {
		t.Error("the object type (unmapped) is not open")
	}
	vuln := defs["vulnerability"].(map[string]any)
	if one, ok := vuln["oneOf"].([]any); !ok || len(one) != 3 {
		t.Errorf("vulnerability oneOf = %v", vuln["oneOf"])
	}
	if _, ok := defs["account"].(map[string]any)["anyOf"]; !ok {
		t.Error("account has no anyOf (at_least_one name, uid)")
	}
	if _, ok := filtered["properties"].(map[string]any)["osint"]; ok {
		t.Error("osint kept under cloud,datetime")
	}
	// $defs come from the unfiltered class: osint's object is there even when filtered.
	if _, ok := filtered["$defs"].(map[string]any)["osint"]; !ok {
		t.Error("server-style $defs lack osint")
	}
	for _, doc := range []map[string]any{all, filtered} {
		if _, err := compileJSONSchema(doc, "https://ocsfhub.invalid/test/server.json"); err != nil {
			t.Fatalf("compile: %v", err)
		}
	}
}

// TestValidatorStyleRules checks the schema this package validates with.
func TestValidatorStyleRules(t *testing.T) {
	e := newEngine(t, Options{})
	m, c := classOf(t, e, "1.6.0", 2004)
	none := JSONSchema(m, c, ProfileSet{}, StyleValidator)
	props := none["properties"].(map[string]any)
	for _, gated := range []string{"cloud", "osint", "time_dt", "api"} {
		if _, ok := props[gated]; ok {
			t.Errorf("profile attribute %s present without profiles", gated)
		}
	}
	if _, ok := none["definitions"].(map[string]any)["cloud"]; ok {
		t.Error("object cloud defined though unreachable without the cloud profile")
	}
	if strings.Contains(fmt.Sprint(none["required"]), "cloud") {
		t.Error("cloud required without the cloud profile")
	}
	native := jsonSchema(m, c, NewProfileSet("cloud", "datetime"), StyleValidator, true)
	raw, _ := json.Marshal(native)
	if !strings.Contains(string(raw), objKeyword) || strings.Contains(string(raw), `"additionalProperties":false`) {
		t.Error("native form does not use the object keyword")
	}
	if _, err := compileJSONSchema(native, "https://ocsfhub.invalid/test/native.json"); err != nil {
		t.Fatal(err)
	}
}

type realSample struct {
	name string
	data []byte
	tree map[string]any
}

func loadRealSamples(t *testing.T) []realSample {
	dir := sharedtest.Dir(t, "securityhub-samples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	var out []realSample
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := newParser(data, Limits{}.withDefaults()).parse()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, realSample{filepath.Base(f), data, tree.(map[string]any)})
	}
	return out
}

func (s realSample) profiles() []string {
	var ps []string
	for _, p := range s.tree["metadata"].(map[string]any)["profiles"].([]any) {
		ps = append(ps, p.(string))
	}
	return ps
}

func serverValidate(t *testing.T, e *Engine, version string, tree map[string]any, profiles ProfileSet) error {
	t.Helper()
	uid, _ := intValue(tree["class_uid"])
	m, c := classOf(t, e, version, uid)
	key := "all"
	if profiles != nil {
		key = profiles.Key()
	}
	sch, err := e.cache.get(cacheKey{version, c.Name, key, StyleServer}, func() (*jsonschema.Schema, error) {
		return compileJSONSchema(JSONSchema(m, c, profiles, StyleServer), schemaID(version, c.Name, profiles, StyleServer))
	})
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(tree)
}

func leafErrors(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			out = append(out, v.InstanceLocation+": "+v.Message)
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// TestServerSchemaClaim demonstrates the claim of the issue: the OCSF
// server's per-class JSON Schema without a profile filter rejects every real
// sample (it makes osint, and cloud, required), while with each sample's own
// profiles the Security Hub samples pass.
func TestServerSchemaClaim(t *testing.T) {
	e := newEngine(t, Options{})
	for _, s := range loadRealSamples(t) {
		err := serverValidate(t, e, "1.6.0", s.tree, nil)
		if err == nil {
			t.Errorf("%s: accepted by the unfiltered server schema", s.name)
			continue
		}
		leaves := leafErrors(err)
		if !slices.ContainsFunc(leaves, func(l string) bool {
			return strings.HasPrefix(l, ": missing properties") && strings.Contains(l, "'osint'")
		}) {
			t.Errorf("%s: rejected, but not for the missing osint: %v", s.name, leaves)
		}
		if strings.HasPrefix(s.name, "cruxstack-") {
			if err := serverValidate(t, e, "1.6.0", s.tree, NewProfileSet(s.profiles()...)); err != nil {
				t.Errorf("%s: rejected by the server schema with its own profiles %v: %v", s.name, s.profiles(), leafErrors(err))
			}
			if res := e.Validate(s.data); !isValid(res) {
				t.Errorf("%s: our validator: %v", s.name, res.Problems)
			}
		}
	}
}

// TestNewerAttributesClaim: with the right profiles, a 1.6.0-only check
// rejects Security Hub output that uses 1.8 attributes (resources[].provider,
// added by OCSF 1.8.0), while the version-aware validator checks it against
// 1.8.0 and accepts it. The inputs are the project fixtures claiming 1.8.0 and
// a real 1.6.0 sample given the provider attribute and metadata.version 1.8.0,
// the shape of the Security Hub Coverage finding in the notes (§7).
func TestNewerAttributesClaim(t *testing.T) {
	e := newEngine(t, Options{})
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, s := range loadRealSamples(t) {
		if s.name != "cruxstack-compliance-1.json" {
			continue
		}
		s.tree["metadata"].(map[string]any)["version"] = "1.8.0"
		for _, r := range s.tree["resources"].([]any) {
			r.(map[string]any)["provider"] = "AWS"
		}
		b, _ := json.Marshal(s.tree)
		inputs = append(inputs, input{s.name + " (+resources[].provider, 1.8.0)", b})
	}
	files, _ := filepath.Glob("../../../testdata/findings/*.json")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var env struct {
			Detail struct{ Findings []json.RawMessage }
		}
		if json.Unmarshal(data, &env) != nil {
			continue
		}
		for _, fd := range env.Detail.Findings {
			var head struct {
				Metadata  struct{ Version string }
				Resources []struct{ Provider string }
			}
			if json.Unmarshal(fd, &head) != nil || head.Metadata.Version != "1.8.0" {
				continue
			}
			if slices.ContainsFunc(head.Resources, func(r struct{ Provider string }) bool { return r.Provider != "" }) {
				inputs = append(inputs, input{filepath.Base(f), fd})
			}
		}
	}
	if len(inputs) == 0 {
		t.Fatal("no input uses 1.8 attributes")
	}
	for _, in := range inputs {
		tree, err := newParser(in.data, Limits{}.withDefaults()).parse()
		if err != nil {
			t.Fatal(err)
		}
		root := tree.(map[string]any)
		var profiles []string
		for _, p := range root["metadata"].(map[string]any)["profiles"].([]any) {
			profiles = append(profiles, p.(string))
		}
		err = serverValidate(t, e, "1.6.0", root, NewProfileSet(profiles...))
		if err == nil || !slices.ContainsFunc(leafErrors(err), func(l string) bool {
			return strings.Contains(l, "/resources/") && strings.Contains(l, "'provider'")
		}) {
			t.Errorf("%s: the 1.6.0 server schema did not reject resources[].provider: %v", in.name, leafErrors(err))
		}
		res := e.Validate(in.data)
		if !isValid(res) || res.SchemaVersion != "1.8.0" {
			t.Errorf("%s: version-aware validation (schema %s): %v", in.name, res.SchemaVersion, res.Problems)
		}
	}
	t.Logf("%d inputs using 1.8 attributes: rejected by the 1.6.0 server schema, valid against 1.8.0", len(inputs))
}

func isValid(r *Report) bool {
	for _, p := range r.Problems {
		if p.Severity == Error {
			return false
		}
	}
	return true
}
