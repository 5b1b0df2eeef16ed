package export

// kind is the shape of one decoded value of a spec document.
type kind int

const (
	kindNull kind = iota
	kindString
	kindNumber
	kindBool
	kindMap
	kindList
	kindOther // a YAML scalar with another tag (e.g. !!binary or a custom tag)
	kindAlias // a YAML anchor or alias, which specs may not use
)

// value is one node of a spec document, independent of whether it came from YAML, JSON
// or flags, so that one decoder gives the same messages for all three.
type value struct {
	kind   kind
	str    string   // string, number, bool text, or the tag of kindOther
	line   int      // 1-based line in a YAML document, 0 when unknown
	keys   []string // kindMap, in document order
	klines []int    // kindMap: line of each key
	vals   []*value // kindMap: value of each key
	items  []*value // kindList
}

// describe names the kind of v for "must be ..." messages.
func (v *value) describe() string {
	switch v.kind {
	case kindNull:
		return "null"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindMap:
		return "a mapping"
	case kindList:
		return "a list"
	case kindAlias:
		return "an alias"
	}
	return v.str
}
