package timing

import (
	"testing"
	"time"
)

// Off: every method works on the nil Phases and records nothing.
func TestOffIsNil(t *testing.T) {
	p := New(false)
	if p != nil {
		t.Fatal("New(false) must return nil")
	}
	p.Mark("x")
	p.Add("y", time.Second)
	p.Merge("init_", []byte(`[{"n":"a","d":1}]`))
	if p.Encode() != nil {
		t.Fatal("Encode of nil must be nil")
	}
	p.Log("op")
}

// The init's phases survive the trip to the parent, prefixed.
func TestEncodeMerge(t *testing.T) {
	init := New(true)
	init.Add("mounts", 1500*time.Microsecond)
	init.Mark("pivot_root")
	parent := New(true)
	parent.Merge("init_", init.Encode())
	if len(parent.names) != 2 || parent.names[0] != "init_mounts" || parent.names[1] != "init_pivot_root" {
		t.Fatalf("merged %v", parent.names)
	}
	if parent.durs[0] != 1500*time.Microsecond || ms(parent.durs[0]) != 1.5 {
		t.Fatalf("mounts: %v (%v ms)", parent.durs[0], ms(parent.durs[0]))
	}
}
