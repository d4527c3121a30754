package initproc

import (
	"encoding/json"
	"testing"

	"github.com/hutch-runtime/hutch/libcontainer/spec"
)

// BenchmarkConfigRoundTrip is the init config as create encodes it and the
// init decodes it, once per container.
func BenchmarkConfigRoundTrip(b *testing.B) {
	c := &Config{ID: "bench", Bundle: "/b", Rootfs: "/b/rootfs", Spec: spec.Example(), FifoFd: 4, NewNetNS: true}
	b.ReportAllocs()
	for b.Loop() {
		data, err := json.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
