// Package validator is the engine behind ocsf.Validator: it validates one
// bare OCSF event (a finding) against the compact compiled model of the OCSF
// version the event claims, honouring metadata.profiles.
//
// Validation runs in three stages on one parse of the input:
//
//  1. A bounded single-pass JSON parse (Limits) that also records duplicate keys.
//  2. A JSON Schema generated from the model for (version, class, active
//     profiles), compiled once with github.com/santhosh-tekuri/jsonschema/v5
//     and cached: required attributes, JSON types, enum values and unknown
//     attributes. A conservative pre-check compiled from the same schema
//     (fastSchema) runs first and answers only "certainly valid"; anything
//     else goes through jsonschema/v5, so the problems are those of
//     jsonschema/v5 (TestFastPathSound checks the pre-check against it).
//  3. A walk of the parsed value for what a JSON Schema cannot express:
//     type_uid = class_uid*100 + activity_id, at_least_one and just_one
//     constraints, enum caption siblings, string formats, integer ranges,
//     deprecation, observables[].name, duplicate keys and metadata.version
//     compatibility.
//
// The jsonschema types never leave this package: its errors are turned into
// Problems with a stable code and an RFC 6901 JSON pointer.
//
// The schemas compiled for validation express each object's scalar
// attributes and closed attribute set with one keyword of this package's
// own, x-ocsf-object (a jsonschema/v5 extension; see objKeyword), instead
// of "properties" and "additionalProperties", and inline small objects
// instead of referencing them: that halves the validation time. JSONSchema
// exports the standard-keyword form, and the tests (TestNativeMatchesStandard,
// FuzzNativeMatchesStandard) check that both forms report the same problems.
package validator

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ocsfhub/ocsfhub/ocsf/schemas"
)

// Mode selects how tolerant validation is.
type Mode int

const (
	// Compatible (the default) is fit for real Security Hub feeds: what real
	// output does that is not a data-integrity problem is a warning.
	Compatible Mode = iota
	// Strict follows the OCSF server's validator (validator2.ex).
	Strict
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Mode is Compatible (zero value) or Strict.
	Mode Mode
	// Limits bound each validation; zero fields take the defaults.
	Limits Limits
	// WarnMissingRecommended reports missing recommended attributes as
	// warnings (code recommended).
	WarnMissingRecommended bool
	// CacheSize is the number of compiled JSON Schemas kept (one per version,
	// class and active profile set actually seen; about 0.4 MB each); 0
	// means 64.
	CacheSize int
	// Logger receives debug records about schema compilation; nil discards.
	Logger *slog.Logger
	// Models overrides the embedded models (tests): version -> model. The
	// versions must parse as semantic versions.
	Models map[string]*Model
	// StandardKeywords validates with the standard-keyword form of the
	// schemas instead of the x-ocsf-object form (see objKeyword): the same
	// problems, about twice as slow. For tests.
	StandardKeywords bool
}

// Report is the outcome of validating one event.
type Report struct {
	ClassUID      int64  // class_uid, 0 when absent or not an integer
	HasClassUID   bool   // class_uid was an integer
	Version       string // metadata.version as claimed ("" when absent)
	SchemaVersion string // the embedded schema version used ("" when none)
	Problems      []Problem
}

// Engine validates events. It is safe for concurrent use.
type Engine struct {
	opts     Options
	log      *slog.Logger
	versions []string
	slots    map[string]*modelSlot
	cache    *schemaCache
	compiles atomic.Int64
	parsers  sync.Pool // *parser, with its scratch slices
}

// parser returns a parser of data, reusing the scratch slices of an earlier one.
func (e *Engine) parser(data []byte) *parser {
	p, _ := e.parsers.Get().(*parser)
	if p == nil {
		return newParser(data, e.opts.Limits)
	}
	p.data, p.src, p.lim = data, string(data), e.opts.Limits
	return p
}

// putParser drops everything p refers to of its input and keeps its
// scratch slices for the next validation.
func (e *Engine) putParser(p *parser) {
	if cap(p.stack) > 1<<12 || cap(p.items) > 1<<12 || cap(p.path) > 1<<8 {
		return // an outsized input: let the garbage collector have it
	}
	clear(p.stack[:cap(p.stack)])
	clear(p.items[:cap(p.items)])
	clear(p.path[:cap(p.path)])
	*p = parser{stack: p.stack[:0], items: p.items[:0], path: p.path[:0]}
	e.parsers.Put(p)
}

type modelSlot struct {
	once  sync.Once
	model *Model
	err   error
	load  func() (*Model, error)
}

func (s *modelSlot) get() (*Model, error) {
	s.once.Do(func() { s.model, s.err = s.load() })
	return s.model, s.err
}

// New returns an Engine. Models are decoded and schemas compiled lazily, on
// first use.
func New(opts Options) (*Engine, error) {
	if opts.Mode != Compatible && opts.Mode != Strict {
		return nil, fmt.Errorf("validator: unknown mode %d", opts.Mode)
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.CacheSize <= 0 {
		opts.CacheSize = 64
	}
	e := &Engine{opts: opts, log: opts.Logger, slots: map[string]*modelSlot{}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if opts.Models != nil {
		for v, m := range opts.Models {
			if _, ok := parseSemver(v); !ok {
				return nil, fmt.Errorf("validator: model version %q is not a semantic version", v)
			}
			m := m
			e.versions = append(e.versions, v)
			e.slots[v] = &modelSlot{load: func() (*Model, error) { return m, nil }}
		}
	} else {
		for _, v := range schemas.Versions() {
			v := v
			e.versions = append(e.versions, v)
			e.slots[v] = &modelSlot{load: func() (*Model, error) {
				gz, err := schemas.Model(v)
				if err != nil {
					return nil, err
				}
				return DecodeModel(gz)
			}}
		}
	}
	if len(e.versions) == 0 {
		return nil, errors.New("validator: no schema versions")
	}
	sortVersions(e.versions)
	e.cache = newSchemaCache(opts.CacheSize)
	return e, nil
}

// Compiles returns how many JSON Schemas the engine has compiled so far.
func (e *Engine) Compiles() int64 { return e.compiles.Load() }

// Versions returns the schema versions the engine validates against, oldest first.
func (e *Engine) Versions() []string { return append([]string(nil), e.versions...) }

// Model returns the model of an embedded version.
func (e *Engine) Model(version string) (*Model, error) {
	s := e.slots[version]
	if s == nil {
		return nil, fmt.Errorf("validator: no schema for OCSF %s", version)
	}
	return s.get()
}

func sortVersions(vs []string) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0; j-- {
			a, _ := parseSemver(vs[j-1])
			b, _ := parseSemver(vs[j])
			if a.compare(b) <= 0 {
				break
			}
			vs[j-1], vs[j] = vs[j], vs[j-1]
		}
	}
}

// Validate validates one bare event.
func (e *Engine) Validate(data []byte) *Report {
	rep := &Report{}
	if len(data) > e.opts.Limits.MaxBytes {
		rep.Problems = []Problem{{Severity: Error, Code: CodeLimitSize,
			Message: fmt.Sprintf("input is %d bytes, more than the limit of %d", len(data), e.opts.Limits.MaxBytes)}}
		return rep
	}
	p := e.parser(data)
	defer e.putParser(p)
	tree, err := p.parse()
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			rep.Problems = []Problem{{Severity: Error, Pointer: pe.pointer, Code: pe.code, Message: pe.Error()}}
		} else {
			rep.Problems = []Problem{{Severity: Error, Code: CodeJSON, Message: err.Error()}}
		}
		return rep
	}
	root, ok := tree.(map[string]any)
	if !ok {
		rep.Problems = []Problem{{Severity: Error, Code: CodeJSON,
			Message: fmt.Sprintf("an OCSF event must be a JSON object, got %s", jsonTypeName(tree))}}
		return rep
	}
	e.validateTree(rep, root)
	for _, d := range p.dups {
		rep.Problems = append(rep.Problems, Problem{Severity: Warning, Pointer: d.pointer, Code: CodeDuplicateKey,
			Message: "key occurs more than once in its object; the last value is the one validated"})
	}
	sortProblems(rep.Problems)
	rep.Problems = truncateProblems(rep.Problems)
	return rep
}

func (e *Engine) sev(strictErr bool) Severity {
	if strictErr && e.opts.Mode == Strict {
		return Error
	}
	return Warning
}

func (e *Engine) validateTree(rep *Report, root map[string]any) {
	add := func(p Problem) { rep.Problems = append(rep.Problems, p) }

	// The version decides the model.
	var (
		claimed string
		present bool
	)
	if md, ok := root["metadata"].(map[string]any); ok {
		if v, ok := md["version"].(string); ok {
			claimed, present = strings.Clone(v), true // outlives the parse
		}
	}
	rep.Version = claimed
	choice := chooseVersion(claimed, present, e.versions, e.opts.Mode)
	rep.Problems = append(rep.Problems, choice.problems...)
	model, err := e.Model(choice.schema)
	if err != nil {
		add(Problem{Severity: Error, Code: CodeSchema, Message: fmt.Sprintf("loading the OCSF %s model: %v", choice.schema, err)})
		return
	}
	rep.SchemaVersion = model.Version

	// class_uid decides the class.
	cv, ok := root["class_uid"]
	if !ok {
		add(Problem{Severity: Error, Pointer: "/class_uid", Code: CodeRequired,
			Message: "required attribute class_uid is missing; no class to validate against"})
		return
	}
	uid, ok := intValue(cv)
	if !ok {
		add(Problem{Severity: Error, Pointer: "/class_uid", Code: CodeType,
			Message: fmt.Sprintf("class_uid: expected an integer, got %s", describe(cv))})
		return
	}
	rep.ClassUID, rep.HasClassUID = uid, true
	class := model.ClassByUID(uid)
	if class == nil {
		sev := Error
		if choice.newer && e.opts.Mode == Compatible {
			sev = Warning
		}
		add(Problem{Severity: sev, Pointer: "/class_uid", Code: CodeClassUnknown,
			Message: fmt.Sprintf("class_uid %d is not a class of OCSF %s", uid, model.Version)})
		return
	}

	active := e.activeProfiles(rep, root, model)
	key := active.restrict(class.Profiles)
	sch, fast, err := e.cache.getFast(cacheKey{model.Version, class.Name, key.Key(), StyleValidator}, func() (*jsonschema.Schema, error) {
		e.compiles.Add(1)
		e.log.Debug("compiling OCSF JSON Schema", "version", model.Version, "class", class.Name, "profiles", key.Key())
		doc := jsonSchema(model, class, key, StyleValidator, !e.opts.StandardKeywords)
		return compileJSONSchema(doc, schemaID(model.Version, class.Name, key, StyleValidator))
	})
	if err != nil {
		add(Problem{Severity: Error, Code: CodeSchema, Message: fmt.Sprintf("compiling the JSON Schema of %s: %v", class.Name, err)})
		return
	}
	c := &checker{e: e, m: model, active: active, newer: choice.newer, rep: rep}
	// The pre-check answers "valid" only when jsonschema/v5 would; anything
	// else goes through jsonschema/v5 for its exact errors.
	if fast == nil || !fast.valid(root) {
		if err := sch.Validate(root); err != nil {
			c.schemaErrors(class, root, err)
		}
	}
	c.walk(class, root)
	c.typeUID(root)
	c.observables(class, root)
}

// activeProfiles reads metadata.profiles, reports unknown names and returns
// the known ones.
func (e *Engine) activeProfiles(rep *Report, root map[string]any, m *Model) ProfileSet {
	md, _ := root["metadata"].(map[string]any)
	list, _ := md["profiles"].([]any)
	var names []string
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			continue // a type problem, reported by the schema check
		}
		if !m.HasProfile(s) {
			rep.Problems = append(rep.Problems, Problem{Severity: e.sev(true), Pointer: indexPointer("/metadata/profiles", i),
				Code: CodeProfileUnknown, Message: fmt.Sprintf("profile %q is not defined in OCSF %s", s, m.Version)})
			continue
		}
		names = append(names, s)
	}
	return NewProfileSet(names...)
}

// restrict keeps the profiles of s that are in keep (both sorted).
func (s ProfileSet) restrict(keep []string) ProfileSet {
	out := ProfileSet{}
	for _, p := range s {
		for _, k := range keep {
			if p == k {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// JSONSchemaFor returns the generated JSON Schema document of a class
// (for inspection and tests), as validated against.
func (e *Engine) JSONSchemaFor(version string, classUID int64, profiles []string, style SchemaStyle) (map[string]any, error) {
	m, err := e.Model(version)
	if err != nil {
		return nil, err
	}
	c := m.ClassByUID(classUID)
	if c == nil {
		return nil, fmt.Errorf("validator: no class %d in OCSF %s", classUID, version)
	}
	var ps ProfileSet
	if profiles != nil {
		ps = NewProfileSet(profiles...)
	}
	return JSONSchema(m, c, ps, style), nil
}

// cacheKey identifies one compiled schema.
type cacheKey struct {
	version, class, profiles string
	style                    SchemaStyle
}

type cacheEntry struct {
	once sync.Once
	sch  *jsonschema.Schema
	fast *fastSchema // nil when the schema has no pre-check
	err  error
}

// schemaCache keeps compiled schemas, at most max of them (the oldest entry
// is dropped first). Concurrent callers asking for the same key share one
// compilation.
type schemaCache struct {
	mu    sync.Mutex
	max   int
	m     map[cacheKey]*cacheEntry
	order []cacheKey
}

func newSchemaCache(max int) *schemaCache {
	return &schemaCache{max: max, m: map[cacheKey]*cacheEntry{}}
}

func (c *schemaCache) get(k cacheKey, build func() (*jsonschema.Schema, error)) (*jsonschema.Schema, error) {
	sch, _, err := c.getFast(k, build)
	return sch, err
}

// getFast is get, also returning the schema's pre-check (nil when none).
func (c *schemaCache) getFast(k cacheKey, build func() (*jsonschema.Schema, error)) (*jsonschema.Schema, *fastSchema, error) {
	c.mu.Lock()
	ent := c.m[k]
	if ent == nil {
		ent = &cacheEntry{}
		c.m[k] = ent
		c.order = append(c.order, k)
		if len(c.order) > c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	ent.once.Do(func() {
		ent.sch, ent.err = build()
		if ent.err == nil {
			ent.fast = compileFast(ent.sch)
		}
	})
	return ent.sch, ent.fast, ent.err
}

// len returns the number of cached schemas.
func (c *schemaCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
