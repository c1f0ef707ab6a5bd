package ocsfschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Options configures [Compile] and [CompileJSON].
type Options struct {
	// SchemaDir is the root of an OCSF schema checkout: the directory that
	// holds version.json, categories.json, dictionary.json, events/,
	// objects/, profiles/ and extensions/. Required.
	SchemaDir string

	// ExtensionDirs are extra (non-platform) extensions. Each directory is
	// either an extension (it holds extension.json) or a directory searched
	// recursively for extensions, like the official compiler's -e option.
	ExtensionDirs []string

	// SkipPlatformExtensions leaves out the platform extensions found under
	// SchemaDir/extensions (linux, win, ...), like the official compiler's
	// -i option.
	SkipPlatformExtensions bool

	// Logger receives progress (Info), rule details (Debug) and schema
	// warnings (Warn). Nil discards everything.
	Logger *slog.Logger
}

// Compile reads OCSF schema source data and returns the fully compiled
// schema, as the official OCSF schema compiler (ocsf-schema-compiler 0.9.2)
// produces it in its default output format:
//
//   - attribute-level "$include" (profiles) and attribute-detail "$include";
//   - extension classes, objects, dictionary attributes, types, categories
//     and profiles merged in (platform extensions first, then ExtensionDirs,
//     each group by extension uid); extension profiles are scoped
//     "<extension>/<profile>";
//   - extension patches (an item whose "extends" names itself, or that has
//     "extends" but no "name") merged into the item they patch;
//   - "extends" flattened, child over parent; abstract classes (no uid,
//     except base_event) and hidden objects (name starting with "_") dropped;
//   - class uid = category uid * 1000 + uid (an extension class's category
//     uid is first scoped as extension uid * 100 + category uid), generated
//     type_uid, class_uid and category_uid enums;
//   - observable type IDs gathered into the observable object's type_id enum;
//   - item profiles consolidated over every reachable object; "<name>_dt"
//     datetime siblings of timestamp attributes (profile "datetime");
//   - missing requirements defaulted to "optional"; every attribute finally
//     built as the dictionary attribute deep-merged under the class or object
//     attribute, so the dictionary enum is extended, never reduced.
//
// Failures are returned as *[SourceError] naming the file and JSON pointer.
// Compile has no shared state: concurrent calls are safe.
func Compile(opts Options) (*Schema, error) {
	out, err := compileRaw(opts)
	if err != nil {
		return nil, err
	}
	return schemaFromRaw(out)
}

// CompileJSON compiles like [Compile] and returns the compiled schema in the
// official compiler's JSON output format ("compile_version": 1), keeping
// every key of the source data. The output is deterministic: object keys are
// sorted, indentation is two spaces, HTML characters are not escaped, and it
// ends with a newline, so successive outputs diff cleanly.
func CompileJSON(opts Options) ([]byte, error) {
	out, err := compileRaw(opts)
	if err != nil {
		return nil, err
	}
	return encodeRaw(out)
}

// encodeRaw encodes the generic compiler output deterministically.
func encodeRaw(out jobj) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("ocsfschema: encode compiled schema: %w", err)
	}
	return buf.Bytes(), nil
}

// compileRaw runs the whole pipeline and returns the generic output object.
func compileRaw(opts Options) (jobj, error) {
	c := newCompiler(opts)
	if err := c.run(); err != nil {
		return nil, err
	}
	return c.output(), nil
}

// Bounds that keep uid arithmetic (category * 1000 + class, class * 100 +
// activity) far from overflow. Real schemas use extension uids below 1000.
const (
	maxExtensionUID = 1_000_000
	maxCategoryUID  = 1_000_000_000
)

// extension is one extension as read from disk.
type extension struct {
	dir         string
	uid         int
	name        string
	platform    bool
	caption     any
	description any
	version     string

	categories    jobj
	dictionary    jobj
	classes       map[string]jobj
	classPatches  map[string]jobj
	objects       map[string]jobj
	objectPatches map[string]jobj
	profiles      map[string]jobj
}

// patch is an extension patch of a class or object.
type patch struct {
	ext  string
	data jobj
}

// itemKind distinguishes classes and objects in shared code.
type itemKind string

const (
	kindClass  itemKind = "class"
	kindObject itemKind = "object"
)

// title is the kind as the official compiler capitalizes it in generated
// observable captions.
func (k itemKind) title() string {
	if k == kindClass {
		return "Class"
	}
	return "Object"
}

// compiler holds the state of one compilation.
type compiler struct {
	opts Options
	log  *slog.Logger
	root string

	version    string
	categories jobj
	dictionary jobj

	classes       map[string]jobj
	objects       map[string]jobj
	classPatches  map[string][]patch
	objectPatches map[string][]patch
	baseProfiles  map[string]jobj
	extProfiles   map[string]jobj // keyed by scoped name
	extensions    map[string]jobj // output information, keyed by name
	platformExt   map[string]bool

	includeCache map[string]jobj
	observables  jobj                // observable type_id -> enum item
	refCache     map[string][]objRef // object -> its object-typed attributes

	// Provenance, used only to name the file and pointer in errors.
	files   map[string]string            // kind:item -> defining file
	origins map[string]map[string]string // kind:item -> attribute -> file
	dictSrc map[string]string            // dictionary attribute -> file
	typeSrc map[string]string            // dictionary type -> file
	catSrc  map[string]string            // category -> file
}

func newCompiler(opts Options) *compiler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &compiler{
		opts:          opts,
		log:           log,
		root:          opts.SchemaDir,
		classes:       map[string]jobj{},
		objects:       map[string]jobj{},
		classPatches:  map[string][]patch{},
		objectPatches: map[string][]patch{},
		baseProfiles:  map[string]jobj{},
		extProfiles:   map[string]jobj{},
		extensions:    map[string]jobj{},
		platformExt:   map[string]bool{},
		includeCache:  map[string]jobj{},
		observables:   jobj{},
		files:         map[string]string{},
		origins:       map[string]map[string]string{},
		dictSrc:       map[string]string{},
		typeSrc:       map[string]string{},
		catSrc:        map[string]string{},
	}
}

func (c *compiler) run() error {
	if c.root == "" {
		return &SourceError{File: ".", Err: fmt.Errorf("%w: Options.SchemaDir is empty", ErrUndefined)}
	}
	st, err := os.Stat(c.root)
	if err != nil {
		return &SourceError{File: c.root, Err: err}
	}
	if !st.IsDir() {
		return srcErr(c.root, "", ErrUndefined, "schema path is not a directory")
	}
	c.log.Info("compiling OCSF schema", "dir", c.root, "platform_extensions", !c.opts.SkipPlatformExtensions,
		"extension_dirs", c.opts.ExtensionDirs)

	steps := []func() error{
		c.readBaseSchema,
		c.readAndMergeExtensions,
		c.enrichDictionaryObjectTypes,
		c.processClasses,
		c.processObjects,
		c.validateUniqueClassUIDs,
		c.enrichAndValidateDictionary,
		c.observablesFromDictionary,
		func() error { return c.validateItemProfiles(kindObject, c.objects) },
		c.updateObservableEnum,
		func() error { return c.consolidateProfiles(kindObject, c.objects) },
		func() error { return c.addDatetimeAttributes(kindObject, c.objects) },
		func() error { return c.validateItemProfiles(kindClass, c.classes) },
		func() error { return c.consolidateProfiles(kindClass, c.classes) },
		func() error { return c.addDatetimeAttributes(kindClass, c.classes) },
		c.ensureRequirements,
		c.finishAttributes,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	c.log.Info("compiled OCSF schema", "version", c.version, "classes", len(c.classes), "objects", len(c.objects),
		"extensions", sortedKeys(c.extensions))
	return nil
}

func (c *compiler) output() jobj {
	profiles := jobj{}
	for k, v := range c.baseProfiles {
		profiles[k] = v
	}
	for k, v := range c.extProfiles {
		profiles[k] = v
	}
	classes := make(jobj, len(c.classes))
	for k, v := range c.classes {
		classes[k] = v
	}
	objects := make(jobj, len(c.objects))
	for k, v := range c.objects {
		objects[k] = v
	}
	extensions := make(jobj, len(c.extensions))
	for k, v := range c.extensions {
		extensions[k] = v
	}
	return jobj{
		"categories":      c.categories,
		"dictionary":      c.dictionary,
		"classes":         classes,
		"objects":         objects,
		"profiles":        profiles,
		"extensions":      extensions,
		"version":         c.version,
		"compile_version": float64(1),
	}
}

// ---------------------------------------------------------------------------
// Provenance helpers.

func itemKey(kind itemKind, name string) string { return string(kind) + ":" + name }

func (c *compiler) fileOf(kind itemKind, name string) string {
	if f, ok := c.files[itemKey(kind, name)]; ok {
		return f
	}
	return filepath.Join(c.root, string(kind)+"s")
}

// attrOrigin returns the file that defines attribute attr of an item and
// the JSON pointer of the attribute in it.
func (c *compiler) attrOrigin(kind itemKind, item, attr string) (string, string) {
	base := strings.TrimSuffix(attr, "_dt")
	for _, a := range []string{attr, base} {
		if f, ok := c.origins[itemKey(kind, item)][a]; ok {
			return f, ptr("attributes", a)
		}
	}
	return c.fileOf(kind, item), ptr("attributes", attr)
}

func (c *compiler) setOrigins(kind itemKind, name, file string, attrs jobj) {
	key := itemKey(kind, name)
	o := c.origins[key]
	if o == nil {
		o = map[string]string{}
		c.origins[key] = o
	}
	for a := range attrs {
		if _, ok := o[a]; !ok {
			o[a] = file
		}
	}
}
