package eventbridge

import "slices"

// Evaluation of a program against a flattened event.
//
// A sub-rule matches when every field has a leaf that satisfies it and the
// chosen leaves are array-consistent: no two of them sit in different
// elements of the same array (Event Ruler's rulesForJSONEvent semantics).
// A field with exists:false holds when no leaf at its path is consistent
// with the leaves chosen for the other fields (so, without arrays, when the
// path has no leaf at all).

// matchState is the per-match scratch space; a program's states are pooled.
type matchState struct {
	flat

	nodeStart []int32 // leaves of node n: order[nodeStart[n]:nodeStart[n+1]]
	order     []int32

	fieldGen []uint32 // fieldGen[i] == gen: fieldRes[i] is computed for this event
	fieldRes []fieldResult
	gen      uint32
	arena    []int32 // context lists of fieldRes

	ctxMark []uint32
	markGen uint32

	dps  dpScratch
	excl exclusion

	steps      int  // search steps taken for the current sub-rule
	tooComplex bool // a search ran out of steps

	work   []workItem
	free   []workItem // fields satisfied by a leaf outside arrays
	chosen []int32    // contexts of the leaves chosen so far
	absent []int32    // fields that must have no consistent leaf
}

// fieldResult is what one event offers one field.
type fieldResult struct {
	candStart, candEnd int32 // distinct contexts of the leaves satisfying the field
	allStart, allEnd   int32 // distinct contexts of all leaves at the path (exists:false only)
	present            bool  // some leaf at the path
	candRoot, allRoot  bool  // a leaf outside any array (consistent with everything)
}

// exclusion supports pruning the search when exists:false fields are
// present.
type exclusion struct {
	leaves    []int32  // contexts of the exists:false fields' leaves
	words     int      // bitset words per row
	bits      []uint64 // row k: leaves some candidate of work item k excludes
	remaining []uint64 // row k: union of rows k.. (row len(work) is empty)
}

type workItem struct {
	fid   int32
	mixed bool // the field may also hold by absence
}

func newMatchState(p *program) *matchState {
	m := &matchState{
		fieldGen:  make([]uint32, len(p.fields)),
		fieldRes:  make([]fieldResult, len(p.fields)),
		nodeStart: make([]int32, len(p.nodes)+1),
	}
	m.flat.prog = p
	return m
}

// begin prepares the state for a new event.
func (m *matchState) begin(p *program) {
	m.reset(p)
	m.tooComplex = false
	m.arena = m.arena[:0]
	m.gen++
	if m.gen == 0 { // wrapped: forget every cached field
		clear(m.fieldGen)
		m.gen = 1
	}
}

// index groups the leaves by node (counting sort, document order kept).
func (m *matchState) index() {
	ns := m.nodeStart
	clear(ns)
	for i := range m.leaves {
		ns[m.leaves[i].node+1]++
	}
	for i := 1; i < len(ns); i++ {
		ns[i] += ns[i-1]
	}
	if cap(m.order) < len(m.leaves) {
		m.order = make([]int32, len(m.leaves))
	}
	m.order = m.order[:len(m.leaves)]
	for i := range m.leaves {
		n := m.leaves[i].node
		m.order[ns[n]] = int32(i)
		ns[n]++
	}
	// ns[n] now holds the end of node n; shift back to starts.
	for i := len(ns) - 1; i > 0; i-- {
		ns[i] = ns[i-1]
	}
	ns[0] = 0
	if len(m.ctxMark) < len(m.ctxs) {
		m.ctxMark = append(m.ctxMark, make([]uint32, len(m.ctxs)-len(m.ctxMark))...)
	}
}

func (m *matchState) nextMark() uint32 {
	m.markGen++
	if m.markGen == 0 { // wrapped: forget every mark
		clear(m.ctxMark)
		clear(m.dps.arrMark)
		m.markGen = 1
	}
	return m.markGen
}

// field computes (once per event) what the event offers field fid.
func (m *matchState) field(fid int32) *fieldResult {
	r := &m.fieldRes[fid]
	if m.fieldGen[fid] == m.gen {
		return r
	}
	m.fieldGen[fid] = m.gen
	fs := &m.prog.fields[fid]
	leaves := m.order[m.nodeStart[fs.node]:m.nodeStart[fs.node+1]]
	*r = fieldResult{present: len(leaves) > 0}
	if fs.positive {
		mark := m.nextMark()
		r.candStart = int32(len(m.arena))
		for _, li := range leaves {
			l := &m.leaves[li]
			if m.ctxMark[l.ctx] == mark || !fs.matches(l.val) {
				continue
			}
			m.ctxMark[l.ctx] = mark
			m.arena = append(m.arena, l.ctx)
			if l.ctx == 0 {
				r.candRoot = true
			}
		}
		r.candEnd = int32(len(m.arena))
	}
	if fs.absent && r.present {
		mark := m.nextMark()
		r.allStart = int32(len(m.arena))
		for _, li := range leaves {
			l := &m.leaves[li]
			if m.ctxMark[l.ctx] == mark {
				continue
			}
			m.ctxMark[l.ctx] = mark
			m.arena = append(m.arena, l.ctx)
			if l.ctx == 0 {
				r.allRoot = true
			}
		}
		r.allEnd = int32(len(m.arena))
	}
	return r
}

func (fs *fieldSpec) matches(v leafValue) bool {
	if fs.anyLeaf {
		return true
	}
	for i := range fs.preds {
		if fs.preds[i].match(v) {
			return true
		}
	}
	return false
}

// rule reports whether rule ri matches the indexed event.
func (m *matchState) rule(ri int) bool {
	for _, sub := range m.prog.rules[ri].subs {
		if m.sub(sub) {
			return true
		}
	}
	return false
}

// sub reports whether a sub-rule matches.
func (m *matchState) sub(fids []int32) bool {
	m.work = m.work[:0]
	m.absent = m.absent[:0]
	m.chosen = m.chosen[:0]
	m.free = m.free[:0]
	m.excl.leaves = m.excl.leaves[:0]
	for _, fid := range fids {
		fs := &m.prog.fields[fid]
		r := m.field(fid)
		switch {
		case !fs.positive: // exists:false only
			if !r.present {
				continue
			}
			if r.allRoot {
				return false // a leaf outside arrays is consistent with any choice
			}
			m.absent = append(m.absent, fid)
		case fs.absent: // exists:false or something else
			if !r.present {
				continue // absent everywhere: holds whatever the other fields choose
			}
			item := workItem{fid: fid, mixed: true}
			if r.candRoot {
				m.free = append(m.free, item)
				continue
			}
			m.work = append(m.work, item)
		default:
			if r.candEnd == r.candStart {
				return false
			}
			if r.candRoot {
				m.free = append(m.free, workItem{fid: fid})
				continue
			}
			m.work = append(m.work, workItem{fid: fid})
		}
	}
	constrained := len(m.absent) > 0 || m.anyMixed()
	if constrained {
		// A leaf outside arrays satisfies a field without constraining the
		// others, but another leaf of the field may pin an array element
		// that keeps an exists:false field's leaves out: search them all.
		m.work = append(m.work, m.free...)
	} else if len(m.work) <= 1 {
		return true // nothing can conflict
	}
	if !constrained && m.combinations() > smallSearch {
		if match, ok := m.dp(); ok {
			return match
		}
	}
	// Fewest candidates first: fail early, branch late.
	w := m.work
	for i := 1; i < len(w); i++ {
		for j := i; j > 0 && m.weight(w[j]) < m.weight(w[j-1]); j-- {
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
	if len(m.absent) > 0 {
		// Choose first the fields whose leaves can keep an exists:false
		// field's leaves out: once they are chosen, hopeless() prunes.
		m.excl.leaves = m.excl.leaves[:0]
		for _, fid := range m.absent {
			r := &m.fieldRes[fid]
			m.excl.leaves = append(m.excl.leaves, m.arena[r.allStart:r.allEnd]...)
		}
		slices.SortStableFunc(w, func(a, b workItem) int {
			ea, eb := m.canExclude(a), m.canExclude(b)
			switch {
			case ea && !eb:
				return -1
			case eb && !ea:
				return 1
			}
			return 0
		})
		if !m.prepareExclusion() {
			return false
		}
	}
	m.steps = 0
	return m.search(0)
}

// canExclude reports whether some candidate of w sits in another element
// of an array than some leaf of an exists:false field.
func (m *matchState) canExclude(w workItem) bool {
	r := &m.fieldRes[w.fid]
	for _, leaf := range m.excl.leaves {
		for _, c := range m.arena[r.candStart:r.candEnd] {
			if !m.consistent(c, leaf) {
				return true
			}
		}
	}
	return false
}

// prepareExclusion records, per work item, which leaves of the
// exists:false fields (m.excl.leaves: each must end up in a different
// element than some chosen leaf) one of its candidates can exclude. It reports false when
// some leaf can be excluded by no candidate at all: then no choice works.
func (m *matchState) prepareExclusion() bool {
	x := &m.excl
	words := (len(x.leaves) + 63) / 64
	need := words * len(m.work)
	if cap(x.bits) < need {
		x.bits = make([]uint64, need)
	}
	x.bits = x.bits[:need]
	clear(x.bits)
	x.words = words
	for k, w := range m.work {
		r := &m.fieldRes[w.fid]
		row := x.bits[k*words : (k+1)*words]
		for i, leaf := range x.leaves {
			for _, c := range m.arena[r.candStart:r.candEnd] {
				if !m.consistent(c, leaf) {
					row[i/64] |= 1 << uint(i%64)
					break
				}
			}
		}
	}
	// remaining[k] = union of the rows of work items k.. (suffix unions).
	if cap(x.remaining) < need+words {
		x.remaining = make([]uint64, need+words)
	}
	x.remaining = x.remaining[:need+words]
	clear(x.remaining[need:])
	for k := len(m.work) - 1; k >= 0; k-- {
		for i := 0; i < words; i++ {
			x.remaining[k*words+i] = x.remaining[(k+1)*words+i] | x.bits[k*words+i]
		}
	}
	for i := range x.leaves {
		if x.remaining[i/64]&(1<<uint(i%64)) == 0 {
			return false
		}
	}
	return true
}

// hopeless reports whether, with the choices made so far and work items
// k.. still to choose, some leaf of an exists:false field can no longer be
// excluded.
func (m *matchState) hopeless(k int) bool {
	x := &m.excl
	if len(x.leaves) == 0 {
		return false
	}
	rem := x.remaining[k*x.words : (k+1)*x.words]
	for i, leaf := range x.leaves {
		if rem[i/64]&(1<<uint(i%64)) != 0 {
			continue // a later choice may exclude it
		}
		if m.consistentWithChosen(leaf) {
			return true
		}
	}
	return false
}

func (m *matchState) weight(w workItem) int32 {
	r := &m.fieldRes[w.fid]
	n := r.candEnd - r.candStart
	if w.mixed {
		n++
	}
	return n
}

// search chooses, field by field, a candidate context consistent with the
// contexts chosen so far, backtracking on failure.
func (m *matchState) search(k int) bool {
	if m.steps++; m.steps > m.prog.searchBudget {
		m.tooComplex = true
		return false
	}
	if k == len(m.work) {
		return m.absencesHold()
	}
	if m.hopeless(k) {
		return false
	}
	w := m.work[k]
	if w.mixed {
		m.absent = append(m.absent, w.fid)
		if m.search(k + 1) {
			return true
		}
		m.absent = m.absent[:len(m.absent)-1]
	}
	r := &m.fieldRes[w.fid]
	for _, c := range m.arena[r.candStart:r.candEnd] {
		if !m.consistentWithChosen(c) {
			continue
		}
		m.chosen = append(m.chosen, c)
		ok := m.search(k + 1)
		m.chosen = m.chosen[:len(m.chosen)-1]
		if ok {
			return true
		}
		if m.tooComplex {
			return false
		}
	}
	return false
}

func (m *matchState) absencesHold() bool {
	for _, fid := range m.absent {
		r := &m.fieldRes[fid]
		for _, c := range m.arena[r.allStart:r.allEnd] {
			if m.consistentWithChosen(c) {
				return false
			}
		}
	}
	return true
}

func (m *matchState) consistentWithChosen(c int32) bool {
	for _, d := range m.chosen {
		if !m.consistent(c, d) {
			return false
		}
	}
	return true
}

// consistent reports whether leaves in contexts a and b may be combined:
// false when they sit in different elements of the same array.
func (m *matchState) consistent(a, b int32) bool {
	if a == b || a == 0 || b == 0 {
		return true
	}
	ctxs := m.ctxs
	for ctxs[a].depth > ctxs[b].depth {
		a = ctxs[a].parent
	}
	for ctxs[b].depth > ctxs[a].depth {
		b = ctxs[b].parent
	}
	if a == b {
		return true // one holds the other
	}
	for ctxs[a].parent != ctxs[b].parent {
		a, b = ctxs[a].parent, ctxs[b].parent
	}
	return ctxs[a].arr != ctxs[b].arr
}

// smallSearch is the number of candidate combinations below which
// backtracking is cheaper than the bottom-up search.
const smallSearch = 64

func (m *matchState) anyMixed() bool {
	for _, w := range m.work {
		if w.mixed {
			return true
		}
	}
	return false
}

// combinations returns the product of the candidate counts, capped.
func (m *matchState) combinations() int {
	n := 1
	for _, w := range m.work {
		r := &m.fieldRes[w.fid]
		n *= int(r.candEnd - r.candStart)
		if n > smallSearch {
			return n
		}
	}
	return n
}

// maxFamily bounds the sets of fields tracked per context by dp.
const maxFamily = 1024

// dpScratch is dp's reusable space, indexed by context or by array.
type dpScratch struct {
	direct    []uint64   // by context: the fields with a candidate directly in it
	childArrs [][]int32  // by context: the arrays below it that hold candidates
	arrFam    [][]uint64 // by array: maximal field sets of one of its elements
	arrMark   []uint32   // by array: arrFam is current when equal to the mark
	rel       []int32    // contexts holding or enclosing candidates
	famA      []uint64
	famB      []uint64
}

// dp decides a sub-rule without exists:false fields in time linear in the
// number of candidate leaves: bottom-up over the tree of array elements, it
// computes for each element the maximal sets of fields that can be matched
// consistently inside it. Leaves directly in an element combine with
// anything below it; each array below contributes the fields of one of its
// elements; different arrays combine freely. ok is false when the sub-rule
// has too many fields or the sets grow too many, and the caller falls back
// to backtracking.
func (m *matchState) dp() (match, ok bool) {
	k := len(m.work)
	if k >= 64 {
		return false, false
	}
	full := uint64(1)<<uint(k) - 1
	d := &m.dps
	nctx, narr := len(m.ctxs), int(m.nextArr)
	if len(d.direct) < nctx {
		d.direct = append(d.direct, make([]uint64, nctx-len(d.direct))...)
		d.childArrs = append(d.childArrs, make([][]int32, nctx-len(d.childArrs))...)
	}
	if len(d.arrFam) < narr {
		d.arrFam = append(d.arrFam, make([][]uint64, narr-len(d.arrFam))...)
		d.arrMark = append(d.arrMark, make([]uint32, narr-len(d.arrMark))...)
	}
	mark := m.nextMark()
	d.rel = d.rel[:0]
	d.childArrs[0] = d.childArrs[0][:0]
	for i, w := range m.work {
		r := &m.fieldRes[w.fid]
		for _, c := range m.arena[r.candStart:r.candEnd] {
			for x := c; x != 0 && m.ctxMark[x] != mark; x = m.ctxs[x].parent {
				m.ctxMark[x] = mark
				d.direct[x] = 0
				d.childArrs[x] = d.childArrs[x][:0]
				d.rel = append(d.rel, x)
			}
			d.direct[c] |= 1 << uint(i)
		}
	}
	// Contexts are numbered in document order, so children come after
	// their parents: visit them in decreasing order.
	slices.Sort(d.rel)
	for i := len(d.rel) - 1; i >= 0; i-- {
		c := d.rel[i]
		fam, ok := m.combine(d.direct[c], d.childArrs[c])
		if !ok {
			return false, false
		}
		a, p := m.ctxs[c].arr, m.ctxs[c].parent
		if d.arrMark[a] != mark {
			d.arrMark[a] = mark
			d.arrFam[a] = d.arrFam[a][:0]
			d.childArrs[p] = append(d.childArrs[p], a)
		}
		for _, s := range fam {
			if s == full {
				return true, true
			}
			d.arrFam[a] = addMaximal(d.arrFam[a], s)
		}
		if len(d.arrFam[a]) > maxFamily {
			return false, false
		}
	}
	fam, ok := m.combine(0, d.childArrs[0])
	if !ok {
		return false, false
	}
	return slices.Contains(fam, full), true
}

// combine returns the maximal field sets reachable in a context whose own
// leaves give own and whose child arrays are arrs. The result is valid until
// the next call.
func (m *matchState) combine(own uint64, arrs []int32) ([]uint64, bool) {
	d := &m.dps
	fam := append(d.famA[:0], own)
	next := d.famB[:0]
	for _, a := range arrs {
		next = next[:0]
		for _, x := range fam {
			for _, y := range d.arrFam[a] {
				next = addMaximal(next, x|y)
			}
		}
		if len(next) > maxFamily {
			return nil, false
		}
		fam, next = next, fam
	}
	d.famA, d.famB = fam, next
	return fam, true
}

// addMaximal adds s to an antichain of sets, keeping only maximal sets.
func addMaximal(fam []uint64, s uint64) []uint64 {
	out := fam[:0]
	for _, e := range fam {
		if e|s == e {
			return fam // s is already covered
		}
		if e|s != s { // e is not a subset of s: keep it
			out = append(out, e)
		}
	}
	return append(out, s)
}
