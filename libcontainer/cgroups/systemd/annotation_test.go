package systemd

import (
	"strings"
	"testing"
)

func TestParseAnnotations(t *testing.T) {
	ok := []struct {
		key, value, name string
		want             any
	}{
		{"org.systemd.property.TimeoutStopUSec", "uint64 5000000", "TimeoutStopUSec", uint64(5000000)},
		{"org.systemd.property.TimeoutStopSec", "uint64 5", "TimeoutStopUSec", uint64(5000000)},
		{"org.systemd.property.TimeoutStopSec", "5", "TimeoutStopUSec", uint64(5000000)},
		{"org.systemd.property.RuntimeMaxSec", "1.5", "RuntimeMaxUSec", uint64(1500000)},
		{"org.systemd.property.CollectMode", "'inactive-or-failed'", "CollectMode", "inactive-or-failed"},
		{"org.systemd.property.SendSIGHUP", "true", "SendSIGHUP", true},
		// Not "Sec" after a lower-case letter: as it is.
		{"org.systemd.property.XSec", "uint64 7", "XSec", uint64(7)},
	}
	for _, c := range ok {
		props, err := ParseAnnotations(map[string]string{c.key: c.value, "other": "x"})
		if err != nil {
			t.Errorf("%s=%s: %v", c.key, c.value, err)
			continue
		}
		if len(props) != 1 || props[0].Name != c.name || props[0].Value.Value() != c.want {
			t.Errorf("%s=%s: got %+v, want %s=%v", c.key, c.value, props, c.name, c.want)
		}
	}
	bad := []struct{ key, value, want string }{
		{"org.systemd.property.TimeoutStopUSec", "uint64 'x'", "annotations: org.systemd.property.TimeoutStopUSec: value \"uint64 'x'\" is not in GVariant text format"},
		{"org.systemd.property.CollectMode", "inactive-or-failed", "is not in GVariant text format"},
		{"org.systemd.property.Ti", "1", "at least 3 letters"},
		{"org.systemd.property.Timeout_Sec", "1", "only letters"},
		{"org.systemd.property.TimeoutStopSec", "'x'", "is in seconds: want a number"},
		{"org.systemd.property.TimeoutStopSec", "-1", "out of range"},
		{"org.systemd.property.Description", "'x'", "hutch's to set"},
		{"org.systemd.property.PIDs", "[uint32 1]", "hutch's to set"},
		{"org.systemd.property.Slice", "'a.slice'", "linux.cgroupsPath"},
	}
	for _, c := range bad {
		_, err := ParseAnnotations(map[string]string{c.key: c.value})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: got %v, want %q", c.key, c.value, err, c.want)
		}
	}
}
