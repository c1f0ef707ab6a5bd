package eventbridge

import "slices"

// Op names an operator of the pattern language. Its value is the operator's
// JSON key, except [OpEquals], which has no key: an exact value is written
// bare ("state": ["running"]).
type Op string

// The operators EventBridge event buses support.
const (
	// OpEquals matches a value exactly: strings character by character,
	// numbers by their string form (300 does not match 300.0), true, false,
	// null. [""] matches the empty string only; [null] matches null only.
	OpEquals Op = "equals"
	// OpPrefix matches strings that begin with Value (ignoring case when
	// IgnoreCase is set: {"prefix": {"equals-ignore-case": "…"}}).
	OpPrefix Op = "prefix"
	// OpSuffix matches strings that end with Value (ignoring case when
	// IgnoreCase is set: {"suffix": {"equals-ignore-case": "…"}}).
	OpSuffix Op = "suffix"
	// OpEqualsIgnoreCase matches strings equal to Value regardless of case.
	OpEqualsIgnoreCase Op = "equals-ignore-case"
	// OpWildcard matches strings against Value, where * matches any run of
	// characters; \* is a literal star and \\ a literal backslash.
	OpWildcard Op = "wildcard"
	// OpAnythingBut matches any value for which the test named by Except
	// fails for every one of Values: Except is OpEquals (exact strings, or
	// numbers compared numerically), OpPrefix, OpSuffix, OpEqualsIgnoreCase
	// or OpWildcard. The field must be present.
	OpAnythingBut Op = "anything-but"
	// OpNumeric matches JSON numbers within the range given by Numeric.
	OpNumeric Op = "numeric"
	// OpCIDR matches strings holding an IPv4 or IPv6 address inside the
	// block given by Value ("10.0.0.0/24", "2001:db8::/64").
	OpCIDR Op = "cidr"
	// OpExists matches when the field is present as a leaf (Exists true) or
	// absent (Exists false). Only leaves count: a field whose value is an
	// object, or an empty array, does not exist.
	OpExists Op = "exists"
)

// Condition is one element of a leaf's list: an exact value or an operator
// expression. Which fields are used depends on Op; the constructors
// ([Exact], [Prefix], [Numeric], [AnythingBut], …) fill them correctly.
type Condition struct {
	// Op is the operator.
	Op Op
	// Value is the operand of OpEquals (any scalar) and of OpPrefix,
	// OpSuffix, OpEqualsIgnoreCase, OpWildcard and OpCIDR (a string).
	Value Value
	// IgnoreCase selects the equals-ignore-case form of OpPrefix and OpSuffix.
	IgnoreCase bool
	// Exists is the operand of OpExists.
	Exists bool
	// Numeric holds the one or two comparisons of OpNumeric: ["=", x],
	// [op, x] with op one of <, <=, >, >=, or a range [>|>=, low, <|<=, high].
	Numeric []Comparison
	// Except is the test OpAnythingBut negates (see OpAnythingBut).
	Except Op
	// Values are the operands of OpAnythingBut: strings, or (with Except
	// OpEquals only) numbers. One value renders as a scalar, several as a list.
	Values []Value
}

// Comparison is one term of a numeric condition.
type Comparison struct {
	// Op is one of "=", "<", "<=", ">", ">=".
	Op string
	// Value is the number compared with (a JSON number).
	Value Value
}

// Equal reports whether c and d are the same condition.
func (c Condition) Equal(d Condition) bool {
	return c.Op == d.Op && c.Value == d.Value && c.IgnoreCase == d.IgnoreCase && c.Exists == d.Exists &&
		c.Except == d.Except && slices.Equal(c.Numeric, d.Numeric) && slices.Equal(c.Values, d.Values)
}

func (c Condition) clone() Condition {
	d := c
	d.Numeric = slices.Clone(c.Numeric)
	d.Values = slices.Clone(c.Values)
	return d
}

// Exact returns a condition matching v exactly.
func Exact(v Value) Condition { return Condition{Op: OpEquals, Value: v} }

// Equals returns a condition matching the string s exactly.
func Equals(s string) Condition { return Exact(StringValue(s)) }

// Null returns a condition matching JSON null (and nothing else, not even a
// missing field or an empty string).
func Null() Condition { return Exact(NullValue()) }

// Empty returns a condition matching the empty string (and not null).
func Empty() Condition { return Exact(StringValue("")) }

// Prefix returns a condition matching strings that begin with s.
func Prefix(s string) Condition { return Condition{Op: OpPrefix, Value: StringValue(s)} }

// PrefixIgnoreCase returns a condition matching strings that begin with s in
// any letter case.
func PrefixIgnoreCase(s string) Condition {
	return Condition{Op: OpPrefix, Value: StringValue(s), IgnoreCase: true}
}

// Suffix returns a condition matching strings that end with s.
func Suffix(s string) Condition { return Condition{Op: OpSuffix, Value: StringValue(s)} }

// SuffixIgnoreCase returns a condition matching strings that end with s in
// any letter case.
func SuffixIgnoreCase(s string) Condition {
	return Condition{Op: OpSuffix, Value: StringValue(s), IgnoreCase: true}
}

// EqualsIgnoreCase returns a condition matching strings equal to s in any
// letter case.
func EqualsIgnoreCase(s string) Condition {
	return Condition{Op: OpEqualsIgnoreCase, Value: StringValue(s)}
}

// Wildcard returns a condition matching strings against the wildcard
// pattern s (* matches any run of characters; \* and \\ escape).
func Wildcard(s string) Condition { return Condition{Op: OpWildcard, Value: StringValue(s)} }

// CIDR returns a condition matching IP address strings inside block, such as
// "10.0.0.0/24" or "2001:db8::/64".
func CIDR(block string) Condition { return Condition{Op: OpCIDR, Value: StringValue(block)} }

// Exists returns a condition matching a present leaf (true) or an absent
// field (false).
func Exists(present bool) Condition { return Condition{Op: OpExists, Exists: present} }

// Numeric returns a condition comparing JSON numbers with v using op, one of
// "=", "<", "<=", ">", ">=".
func Numeric(op string, v float64) Condition {
	return Condition{Op: OpNumeric, Numeric: []Comparison{{Op: op, Value: FloatValue(v)}}}
}

// NumericRange returns a condition matching JSON numbers in a range:
// lowOp is ">" or ">=", highOp is "<" or "<=", and low must be less than high.
func NumericRange(lowOp string, low float64, highOp string, high float64) Condition {
	return Condition{Op: OpNumeric, Numeric: []Comparison{
		{Op: lowOp, Value: FloatValue(low)}, {Op: highOp, Value: FloatValue(high)},
	}}
}

// AnythingBut returns a condition matching any value except the strings ss.
func AnythingBut(ss ...string) Condition { return anythingBut(OpEquals, ss) }

// AnythingButNumber returns a condition matching any value except the
// numbers ns (compared numerically).
func AnythingButNumber(ns ...float64) Condition {
	c := Condition{Op: OpAnythingBut, Except: OpEquals, Values: make([]Value, len(ns))}
	for i, n := range ns {
		c.Values[i] = FloatValue(n)
	}
	return c
}

// AnythingButPrefix returns a condition matching any value that begins with
// none of the prefixes.
func AnythingButPrefix(prefixes ...string) Condition { return anythingBut(OpPrefix, prefixes) }

// AnythingButSuffix returns a condition matching any value that ends with
// none of the suffixes.
func AnythingButSuffix(suffixes ...string) Condition { return anythingBut(OpSuffix, suffixes) }

// AnythingButIgnoreCase returns a condition matching any value equal, in
// any letter case, to none of ss.
func AnythingButIgnoreCase(ss ...string) Condition { return anythingBut(OpEqualsIgnoreCase, ss) }

// AnythingButWildcard returns a condition matching any value that matches
// none of the wildcard patterns.
func AnythingButWildcard(patterns ...string) Condition { return anythingBut(OpWildcard, patterns) }

func anythingBut(except Op, ss []string) Condition {
	c := Condition{Op: OpAnythingBut, Except: except, Values: make([]Value, len(ss))}
	for i, s := range ss {
		c.Values[i] = StringValue(s)
	}
	return c
}
