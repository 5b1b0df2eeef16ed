package export

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
	"go.yaml.in/yaml/v3"
)

// ParseYAML decodes, validates and normalizes a YAML document whose root mapping has the
// single key export, as on the product page. Errors: ETOOLARGE over lim.MaxBytes; else
// one EINVALID *keeptrail.Error naming every bad field as export.PATH with its line.
// Anchors and aliases are rejected, so no document can expand beyond its size.
func ParseYAML(b []byte, lim Limits) (Spec, error) {
	lim = lim.withDefaults()
	if err := checkInput(b, lim); err != nil {
		return Spec{}, err
	}
	r := newReporter(specName)
	root, ok := yamlDocument(b, r)
	if !ok {
		return Spec{}, r.err()
	}
	return decodeSpec(root, r, lim)
}

// checkInput applies the size and encoding bounds shared by the document decoders.
func checkInput(b []byte, lim Limits) error {
	if len(b) > lim.MaxBytes {
		return keeptrail.Errorf(keeptrail.ETOOLARGE, "export spec is larger than %d bytes", lim.MaxBytes)
	}
	if !utf8.Valid(b) {
		return &keeptrail.Error{Code: keeptrail.EINVALID, Message: "invalid export spec",
			Fields: []keeptrail.FieldError{{Field: "export", Reason: "not valid UTF-8"}}}
	}
	return nil
}

// decodeSpec decodes the export block, validates it and returns it normalized.
func decodeSpec(root *value, r *reporter, lim Limits) (Spec, error) {
	var s Spec
	d := &decoder{r: r, lim: lim}
	d.spec(root, &s)
	validate(&s, r, lim)
	if err := r.err(); err != nil {
		return Spec{}, err
	}
	return s.Normalize(), nil
}

// yamlDocument parses one YAML document and returns its export block as a tree.
func yamlDocument(b []byte, r *reporter) (*value, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	// The target is a yaml.Node, which KnownFields does not police: the tree decoder
	// rejects unknown fields itself, with their full path.
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.add("", "empty document")
		} else {
			r.add("", "not valid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		r.add("", "only one YAML document is allowed")
		return nil, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode || root.Anchor != "" {
		r.at("", root.Line)
		r.add("", "the document must be a mapping with the single key export")
		return nil, false
	}
	var block *value
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			reason := "given twice, on lines " + strconv.Itoa(first) + " and " + strconv.Itoa(k.Line)
			r.addField(k.Value, 0, reason)
			continue
		}
		seen[k.Value] = k.Line
		if k.Kind != yaml.ScalarNode || k.Value != "export" {
			// A top-level key other than export is outside the spec: name it as written.
			r.addField(k.Value, k.Line, "unknown field")
			continue
		}
		r.at("", k.Line)
		block = yamlValue(v)
		if k.Anchor != "" {
			block = &value{kind: kindAlias, line: k.Line}
		}
	}
	if block == nil {
		if _, ok := seen["export"]; !ok {
			r.add("", "required")
		}
		return nil, false
	}
	if block.kind == kindAlias {
		r.add("", "YAML anchors and aliases are not allowed")
		return nil, false
	}
	// Unknown top-level keys are reported; the export block is still decoded so that
	// every error is listed at once.
	return block, true
}

// yamlValue converts a YAML node into a document tree. Anchored and alias nodes become
// kindAlias and are never followed.
func yamlValue(n *yaml.Node) *value {
	v := &value{line: n.Line}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		v.kind = kindAlias
		return v
	}
	switch n.Kind {
	case yaml.MappingNode:
		v.kind = kindMap
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			name := k.Value
			if k.Kind != yaml.ScalarNode {
				name = "(a " + yamlKindName(k.Kind) + " as key)"
			}
			val := yamlValue(n.Content[i+1])
			if k.Anchor != "" || k.Kind == yaml.AliasNode {
				val = &value{kind: kindAlias, line: k.Line}
			}
			v.keys = append(v.keys, name)
			v.klines = append(v.klines, k.Line)
			v.vals = append(v.vals, val)
		}
	case yaml.SequenceNode:
		v.kind = kindList
		v.items = make([]*value, len(n.Content))
		for i, c := range n.Content {
			v.items[i] = yamlValue(c)
		}
	case yaml.ScalarNode:
		v.str = n.Value
		switch tag := n.ShortTag(); tag {
		case "!!str", "!!timestamp":
			v.kind = kindString
		case "!!int", "!!float":
			v.kind = kindNumber
		case "!!bool":
			v.kind = kindBool
		case "!!null":
			v.kind = kindNull
		default:
			v.kind, v.str = kindOther, "a value tagged "+tag
		}
	default:
		v.kind, v.str = kindOther, "a "+yamlKindName(n.Kind)
	}
	return v
}

func yamlKindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.DocumentNode:
		return "document"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}
