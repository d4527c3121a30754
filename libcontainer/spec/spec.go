// Package spec loads, validates and generates OCI runtime configurations
// (config.json). Everything here is pure: no namespaces, mounts or other
// side effects, so the runtime can reject a bad bundle before it touches
// the system.
package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
)

// ConfigFile is the name of the configuration file inside a bundle.
const ConfigFile = "config.json"

// Load reads and decodes <bundle>/config.json: a regular file (a symlink
// to one is followed, as runc does) of at most readlimit.ConfigMax bytes.
// Unknown fields are accepted, as the runtime-spec requires; decoding
// errors carry the file name, the line and column, and the JSON path of
// the offending field.
func Load(bundle string) (*specs.Spec, error) {
	name := filepath.Join(bundle, ConfigFile)
	data, err := readlimit.File(name, readlimit.ConfigMax)
	if err != nil {
		return nil, err // an *os.PathError reads "open <name>: ..."
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, describeJSONError(data, err))
	}
	return &s, nil
}

// describeJSONError rewrites encoding/json errors in terms a user can act
// on: where in the file, and which field.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off := syn.Offset
		if jsonV2 {
			off++ // v2 points at the bad byte, position wants one past it
		}
		line, col := position(data, off)
		return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, syn.Error())
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		line, col := position(data, typ.Offset)
		field := indexPath(typ.Field)
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%s: cannot unmarshal %s into %s (line %d, column %d)",
			field, typ.Value, jsonTypeName(typ.Type), line, col)
	}
	return err
}

// indexPath writes the array indexes json/v2 puts in a field path the way
// hutch's validation errors do: "mounts.0.destination" becomes
// "mounts[0].destination". (v1 paths have no indexes and pass unchanged.)
func indexPath(field string) string {
	if field == "" {
		return ""
	}
	var b strings.Builder
	for i, part := range strings.Split(field, ".") {
		if _, err := strconv.Atoi(part); err == nil && i > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

// position converts the decoder offset (bytes consumed when the error was
// seen) into a 1-based line and column pointing at the last byte read.
func position(data []byte, offset int64) (line, col int) {
	pos := int(offset) - 1
	if pos < 0 {
		pos = 0
	}
	if pos > len(data) {
		pos = len(data)
	}
	line, lineStart := 1, 0
	for i := 0; i < pos; i++ {
		if data[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, pos - lineStart + 1
}

// jsonTypeName names Go target types as a config author thinks of them.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return t.String()
}
