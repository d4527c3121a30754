package state

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// benchStore holds n containers whose init is this (live) process, like
// created containers as `state` and `list` see them.
func benchStore(b *testing.B, n int) Store {
	b.Helper()
	s := Store{Root: b.TempDir()}
	start, _, err := ProcStartTime(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%d", i)
		e, err := s.Reserve(id)
		if err != nil {
			b.Fatal(err)
		}
		st := &State{ID: id, Bundle: "/bundles/" + id, Rootfs: "/bundles/" + id + "/rootfs",
			Pid: os.Getpid(), StartTime: start, Created: time.Now().UTC(), Owner: "root",
			CgroupPaths: map[string]string{"memory": "/sys/fs/cgroup/memory/x/" + id}}
		if err := e.Save(st); err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
	return s
}

// BenchmarkLoadStatus is the work of `hutch state`: one state file read
// and the liveness check.
func BenchmarkLoadStatus(b *testing.B) {
	s := benchStore(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		e, err := s.Open("c0")
		if err != nil {
			b.Fatal(err)
		}
		st, err := e.Load()
		if err != nil {
			b.Fatal(err)
		}
		if got := e.Status(st, nil); got != Running {
			b.Fatal(got)
		}
		e.Close()
	}
}

// BenchmarkList200 is the work of `hutch list` with 200 containers.
func BenchmarkList200(b *testing.B) {
	s := benchStore(b, 200)
	b.ReportAllocs()
	for b.Loop() {
		ids, err := s.Candidates()
		if err != nil || len(ids) != 200 {
			b.Fatal(len(ids), err)
		}
		for _, id := range ids {
			e, err := s.Open(id)
			if err != nil {
				b.Fatal(err)
			}
			st, err := e.Load()
			if err != nil {
				b.Fatal(err)
			}
			e.Status(st, nil)
			e.Close()
		}
	}
}
