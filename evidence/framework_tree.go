package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// tnode is a parsed template document, the same for YAML and JSON, so that one walker
// checks both and names each field as the user wrote it.
type tnode struct {
	kind  tkind
	text  string   // scalar
	items []*tnode // list
	keys  []string // mapping, in document order
	vals  []*tnode // mapping values, parallel to keys
	line  int
}

type tkind int

const (
	tNull tkind = iota
	tScalar
	tList
	tMap
)

func (k tkind) String() string {
	switch k {
	case tScalar:
		return "a text value"
	case tList:
		return "a list"
	case tMap:
		return "a mapping"
	}
	return "null"
}

// syntaxError is a template that does not parse: the whole body is the bad field.
func syntaxError(format string, args ...any) error {
	return badField("template", format, args...)
}

// parseTree reads data as JSON when its first non-space byte is '{', else as YAML.
func parseTree(data []byte) (*tnode, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSONTree(data)
	}
	return parseYAMLTree(data)
}

// parseYAMLTree parses exactly one YAML document without anchors, aliases, custom tags or
// repeated keys.
func parseYAMLTree(data []byte) (*tnode, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, syntaxError("is empty")
		}
		return nil, syntaxError("is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, syntaxError("must hold one YAML document (line %d starts another)", extra.Line)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, syntaxError("is empty")
	}
	return fromYAML(doc.Content[0])
}

func fromYAML(n *yaml.Node) (*tnode, error) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return nil, syntaxError("line %d: YAML anchors and aliases are not allowed", n.Line)
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		return nil, syntaxError("line %d: custom YAML tag %q is not allowed", n.Line, n.Tag)
	}
	t := &tnode{line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return t, nil
		}
		if n.Tag == "!!binary" {
			return nil, syntaxError("line %d: binary values are not allowed", n.Line)
		}
		t.kind, t.text = tScalar, n.Value
	case yaml.SequenceNode:
		t.kind = tList
		for _, c := range n.Content {
			ct, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, ct)
		}
	case yaml.MappingNode:
		t.kind = tMap
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Anchor != "" || k.Tag == "!!merge" {
				return nil, syntaxError("line %d: keys must be plain text (no merge keys, anchors or aliases)", k.Line)
			}
			if t.has(k.Value) {
				return nil, syntaxError("line %d: key %q is repeated", k.Line, k.Value)
			}
			vt, err := fromYAML(v)
			if err != nil {
				return nil, err
			}
			t.keys = append(t.keys, k.Value)
			t.vals = append(t.vals, vt)
		}
	default:
		return nil, syntaxError("line %d: unexpected YAML node", n.Line)
	}
	return t, nil
}

func (t *tnode) has(key string) bool {
	for _, k := range t.keys {
		if k == key {
			return true
		}
	}
	return false
}

// parseJSONTree parses exactly one JSON value without repeated keys.
func parseJSONTree(data []byte) (*tnode, error) {
	p := &jsonTree{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	t, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, syntaxError("line %d: must hold exactly one JSON object", p.line())
	}
	return t, nil
}

type jsonTree struct {
	data []byte
	dec  *json.Decoder
}

// line is the line of the decoder's position, from 1.
func (p *jsonTree) line() int {
	off := min(int(p.dec.InputOffset()), len(p.data))
	return 1 + bytes.Count(p.data[:off], []byte{'\n'})
}

func (p *jsonTree) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := min(int(se.Offset), len(p.data))
			return nil, syntaxError("is not valid JSON at line %d: %s", 1+bytes.Count(p.data[:off], []byte{'\n'}), se.Error())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, syntaxError("is not valid JSON: it ends early")
		}
		return nil, syntaxError("is not valid JSON: %v", err)
	}
	return tok, nil
}

func (p *jsonTree) value() (*tnode, error) {
	line := p.line()
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	t := &tnode{line: line}
	switch v := tok.(type) {
	case nil:
		return t, nil
	case string:
		t.kind, t.text = tScalar, v
	case json.Number:
		t.kind, t.text = tScalar, v.String()
	case bool:
		t.kind, t.text = tScalar, fmt.Sprint(v)
	case json.Delim:
		switch v {
		case '[':
			t.kind = tList
			for p.dec.More() {
				c, err := p.value()
				if err != nil {
					return nil, err
				}
				t.items = append(t.items, c)
			}
		case '{':
			t.kind = tMap
			for p.dec.More() {
				kline := p.line()
				ktok, err := p.token()
				if err != nil {
					return nil, err
				}
				k, _ := ktok.(string)
				if t.has(k) {
					return nil, syntaxError("line %d: key %q is repeated", kline, k)
				}
				c, err := p.value()
				if err != nil {
					return nil, err
				}
				t.keys = append(t.keys, k)
				t.vals = append(t.vals, c)
			}
		}
		if _, err := p.token(); err != nil { // the closing ] or }
			return nil, err
		}
	}
	return t, nil
}
