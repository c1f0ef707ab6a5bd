package eventbridge

import (
	"strings"
)

// program is the compiled, immutable form of one or more named patterns:
// a trie of the paths they use, the distinct fields (a path with its list
// of conditions) and, per rule, its $or-expanded alternatives.
type program struct {
	nodes  []trieNode
	fields []fieldSpec
	rules  []compiledRule

	// Nodes used to present a bare finding as a Security Hub event, or -1.
	sourceNode, detailTypeNode, findingsNode int32

	// searchBudget bounds the backtracking steps of one sub-rule on one
	// event (only exists:false across arrays can need many).
	searchBudget int
}

// defaultSearchBudget is the number of backtracking steps after which a
// match gives up with ErrMatchTooComplex.
const defaultSearchBudget = 1 << 22

// trieNode is one path segment.
type trieNode struct {
	children map[string]int32
	leafy    bool // some field ends here: record the scalars found here
}

// fieldSpec is one leaf of a pattern: a path and the conditions of its
// list, deduplicated across all rules of a program.
type fieldSpec struct {
	node     int32
	preds    []predicate
	anyLeaf  bool // has exists:true: any leaf matches
	positive bool // has a condition other than exists:false
	absent   bool // has exists:false
}

// compiledRule is a named pattern: it matches when any of its alternatives
// (sub-rules) matches, and a sub-rule matches when all of its fields do,
// consistently across arrays.
type compiledRule struct {
	name string
	subs [][]int32 // field indices
}

// pathField is a leaf of an expanded pattern: its path split into segments.
type pathField struct {
	segs  []string
	conds []Condition
}

// expand distributes the $or keys of p, returning its alternatives, each a
// list of leaves. The caller has checked the combinations limit.
func expand(p *Pattern, prefix []string) [][]pathField {
	alts := [][]pathField{nil}
	for _, f := range p.Fields {
		segs := append(append([]string(nil), prefix...), strings.Split(f.Name, ".")...)
		if f.Pattern != nil {
			alts = cross(alts, expand(f.Pattern, segs))
			continue
		}
		for i := range alts {
			alts[i] = append(alts[i][:len(alts[i]):len(alts[i])], pathField{segs: segs, conds: f.Conditions})
		}
	}
	if len(p.Or) > 0 {
		var ors [][]pathField
		for _, b := range p.Or {
			ors = append(ors, expand(b, prefix)...)
		}
		alts = cross(alts, ors)
	}
	return alts
}

// cross returns every concatenation of an element of a with one of b.
func cross(a, b [][]pathField) [][]pathField {
	out := make([][]pathField, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			z := make([]pathField, 0, len(x)+len(y))
			z = append(append(z, x...), y...)
			out = append(out, z)
		}
	}
	return out
}

// builder assembles a program.
type builder struct {
	prog  *program
	index map[string]int32 // field key → field index
}

func newBuilder() *builder {
	return &builder{
		prog:  &program{nodes: []trieNode{{}}},
		index: map[string]int32{},
	}
}

// node returns the trie node of segs, creating it.
func (b *builder) node(segs []string) int32 {
	n := int32(0)
	for _, s := range segs {
		c, ok := b.prog.nodes[n].children[s]
		if !ok {
			c = int32(len(b.prog.nodes))
			b.prog.nodes = append(b.prog.nodes, trieNode{})
			if b.prog.nodes[n].children == nil {
				b.prog.nodes[n].children = map[string]int32{}
			}
			b.prog.nodes[n].children[s] = c
		}
		n = c
	}
	return n
}

// field returns the index of the field for pf, adding it if new.
func (b *builder) field(pf pathField) int32 {
	var key []byte
	for _, s := range pf.segs {
		key = appendString(key, s)
	}
	key = append(key, ':')
	for _, c := range pf.conds {
		key = appendCondition(key, c)
	}
	if i, ok := b.index[string(key)]; ok {
		return i
	}
	n := b.node(pf.segs)
	b.prog.nodes[n].leafy = true
	fs := fieldSpec{node: n}
	for _, c := range pf.conds {
		switch {
		case c.Op == OpExists && !c.Exists:
			fs.absent = true
		case c.Op == OpExists:
			fs.anyLeaf, fs.positive = true, true
		default:
			fs.positive = true
			fs.preds = append(fs.preds, compilePredicate(c))
		}
	}
	i := int32(len(b.prog.fields))
	b.prog.fields = append(b.prog.fields, fs)
	b.index[string(key)] = i
	return i
}

// add compiles a valid pattern as the rule name.
func (b *builder) add(name string, p *Pattern) {
	r := compiledRule{name: name}
	for _, alt := range expand(p, nil) {
		var sub []int32
		for _, pf := range alt {
			i := b.field(pf)
			if !containsInt32(sub, i) {
				sub = append(sub, i)
			}
		}
		r.subs = append(r.subs, sub)
	}
	b.prog.rules = append(b.prog.rules, r)
}

func containsInt32(s []int32, x int32) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// finish resolves the nodes MatchFinding needs and returns the program.
func (b *builder) finish() *program {
	p := b.prog
	lookup := func(segs ...string) int32 {
		n := int32(0)
		for _, s := range segs {
			c, ok := p.nodes[n].children[s]
			if !ok {
				return -1
			}
			n = c
		}
		return n
	}
	p.sourceNode = lookup("source")
	p.detailTypeNode = lookup("detail-type")
	p.findingsNode = lookup("detail", "findings")
	p.searchBudget = defaultSearchBudget
	return p
}
