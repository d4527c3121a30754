package systemd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
)

// AnnotationPrefix starts the config annotations that become unit
// properties: org.systemd.property.TimeoutStopUSec=uint64 5000000.
const AnnotationPrefix = "org.systemd.property."

// reserved are the properties the driver sets itself and relies on: the
// scope's place, its pid, and the Description that marks it as hutch's
// (delete stops only a scope with it).
var reserved = map[string]string{
	"Description": "it marks the scope as the container's",
	"PIDs":        "it is the container's init",
	"Slice":       "the slice comes from linux.cgroupsPath",
}

// ParseAnnotations turns the org.systemd.property.* annotations into
// unit properties, as runc does: the value is in GVariant text format, the
// one `busctl` and `gdbus` print ("uint64 1000", "'inactive-or-failed'",
// "true", "['a', 'b']"), with the type given where the literal does not
// say it and systemd wants another (a bare number is an int32); a name
// ending in "Sec" after a lower-case letter (TimeoutStopSec) is the
// property named "USec", its value in seconds converted. The errors name
// the annotation.
func ParseAnnotations(ann map[string]string) ([]Property, error) {
	var out []Property
	for k, v := range ann {
		name, ok := strings.CutPrefix(k, AnnotationPrefix)
		if !ok {
			continue
		}
		p, err := parseProperty(name, v)
		if err != nil {
			return nil, fmt.Errorf("annotations: %s: %w", k, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProperty(name, value string) (Property, error) {
	if len(name) < 3 {
		return Property{}, errors.New("a property name has at least 3 letters")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return Property{}, fmt.Errorf("property name %q: only letters are allowed", name)
		}
	}
	if why, ok := reserved[name]; ok {
		return Property{}, fmt.Errorf("the %s property is hutch's to set: %s", name, why)
	}
	v, err := dbus.ParseVariant(value, dbus.Signature{})
	if err != nil {
		return Property{}, fmt.Errorf("value %q is not in GVariant text format (e.g. \"uint64 1000\", \"'text'\", \"true\"): %w", value, err)
	}
	if trim, ok := strings.CutSuffix(name, "Sec"); ok && trim != "" {
		if c := trim[len(trim)-1]; c >= 'a' && c <= 'z' {
			usec, err := secToUSec(v)
			if err != nil {
				return Property{}, fmt.Errorf("value %q: %s is in seconds: %w", value, name, err)
			}
			name, v = trim+"USec", usec
		}
	}
	return Property{Name: name, Value: v}, nil
}

// secToUSec converts a number of seconds to systemd's microseconds.
func secToUSec(v dbus.Variant) (dbus.Variant, error) {
	const m = 1000000
	var f float64
	switch x := v.Value().(type) {
	case byte:
		f = float64(x)
	case int16:
		f = float64(x)
	case uint16:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	default:
		return v, errors.New("want a number")
	}
	if f < 0 || f*m >= 1<<64 {
		return v, errors.New("out of range")
	}
	return dbus.MakeVariant(uint64(f * m)), nil
}
