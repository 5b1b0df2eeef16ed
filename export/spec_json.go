package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// maxJSONDepth bounds the nesting of a JSON spec; a valid one nests three deep.
const maxJSONDepth = 32

// ParseJSON decodes, validates and normalizes a JSON spec: the export object itself, or
// an object whose only key is export wrapping it. Field paths in errors always start with
// export (export.time_range.end), whichever form was sent. Errors: ETOOLARGE over
// lim.MaxBytes; else one EINVALID *keeptrail.Error naming every bad field.
func ParseJSON(b []byte, lim Limits) (Spec, error) {
	lim = lim.withDefaults()
	if err := checkInput(b, lim); err != nil {
		return Spec{}, err
	}
	r := newReporter(specName)
	root, ok := jsonDocument(b, r)
	if !ok {
		return Spec{}, r.err()
	}
	return decodeSpec(root, r, lim)
}

// jsonDocument reads one JSON value and returns the export block as a tree.
func jsonDocument(b []byte, r *reporter) (*value, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	root, err := jsonValue(dec, 0)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(bytes.TrimSpace(b)) == 0 {
			r.add("", "empty document")
		} else {
			r.add("", "not valid JSON: "+jsonReason(err))
		}
		return nil, false
	}
	if root.kind != kindMap {
		r.add("", "must be a JSON object, not "+root.describe())
		return nil, false
	}
	wrapped := false
	for _, k := range root.keys {
		wrapped = wrapped || k == "export"
	}
	if !wrapped {
		return root, true
	}
	// Wrapped: export must be the only key, given once.
	var block *value
	for i, k := range root.keys {
		switch {
		case k != "export":
			r.addField(k, 0, "unknown field")
		case block != nil:
			r.addField("export", 0, "given twice")
		default:
			block = root.vals[i]
		}
	}
	return block, len(r.fields) == 0
}

// jsonValue reads one value from dec into a tree, rejecting duplicate keys only later
// (the object decoder reports them with their path).
func jsonValue(dec *json.Decoder, depth int) (*value, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &value{kind: kindMap}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				item, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, key)
				v.klines = append(v.klines, 0)
				v.vals = append(v.vals, item)
			}
			_, err := dec.Token() // '}'
			return v, err
		case '[':
			v := &value{kind: kindList}
			for dec.More() {
				item, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			_, err := dec.Token() // ']'
			return v, err
		}
		return nil, errors.New("unexpected " + t.String())
	case string:
		return &value{kind: kindString, str: t}, nil
	case json.Number:
		return &value{kind: kindNumber, str: t.String()}, nil
	case bool:
		return &value{kind: kindBool}, nil
	case nil:
		return &value{kind: kindNull}, nil
	}
	return nil, errors.New("unexpected token")
}

// jsonReason words a JSON syntax error without the package prefix.
func jsonReason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
