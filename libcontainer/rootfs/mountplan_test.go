package rootfs

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/plan"
)

func ops(steps []plan.MountStep) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteByte(s.Op)
	}
	return b.String()
}

// A mount the kernel may refuse with EPERM is followed by its alternative
// and a jump over the steps that finish the mount when it was made: the
// executor skips the alternative and the jump when the mount works, and
// runs the alternative then jumps when it does not (nsenter/mounts.c).
func TestMountPlanAlternatives(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       specs.Mount
		o       Options
		want    string
		alt, jj string // M's count of alternative steps, J's count
	}{
		// sysfs in a user namespace with its own netns: the host's /sys
		// bound instead, read-only and nosuid recursively.
		{"sysfs", specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "ro"}},
			Options{InUserNS: true, NewNetNS: true}, "PREtcMtcBraJ", "6", "0"},
		// mqueue in an ipc namespace that is not ours: the host's bound;
		// the propagation step finishes either.
		{"mqueue", specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "rprivate"}},
			Options{InUserNS: true}, "PREtcMtcBrpJp", "6", "1"},
		// Without a user namespace there is no alternative.
		{"plain", specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid"}},
			Options{}, "PREtcM", "0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Rootfs = "/r"
			steps, err := MountPlan(&specs.Spec{Mounts: []specs.Mount{tc.m}}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := ops(steps); got != tc.want {
				t.Fatalf("steps %q, want %q", got, tc.want)
			}
			for _, s := range steps {
				switch {
				case s.Op == 'M' && s.Args[5] != tc.alt:
					t.Errorf("M: %s alternative steps, want %s", s.Args[5], tc.alt)
				case s.Op == 'J' && s.Args[0] != tc.jj:
					t.Errorf("J: over %s steps, want %s", s.Args[0], tc.jj)
				}
			}
		})
	}
}

// An alternative that cannot be planned becomes its error, reported only
// if the mount is refused (a cgroup namespace's own cgroup2 mount works
// without it).
func TestMountPlanUnplannableAlternative(t *testing.T) {
	v := &CgroupView{pid: 1, unified: true}
	steps, err := MountPlan(&specs.Spec{Mounts: []specs.Mount{{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup"}}},
		Options{Rootfs: "/r", NewCgroupNS: true, Cgroups: v})
	if err != nil {
		t.Fatal(err)
	}
	if got := ops(steps); got != "PREtcMFJ" {
		t.Fatalf("steps %q", got)
	}
	for _, s := range steps {
		if s.Op == 'F' && !strings.Contains(s.Args[0], "no cgroup2 mount found") {
			t.Errorf("F: %q", s.Args[0])
		}
	}
}

// create plans the mounts while the init makes its namespaces and the
// cgroup mounts once the init can be asked for its view: the two steps
// give the plan in the config's order.
func TestBeginMountPlanDefersOnlyCgroupMounts(t *testing.T) {
	s := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup"},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"},
	}}
	o := Options{Rootfs: "/r", NewCgroupNS: true}
	m, err := BeginMountPlan(s, o)
	if err != nil {
		t.Fatalf("begun without the cgroup view: %v", err)
	}
	if !m.NeedsCgroups() {
		t.Fatal("NeedsCgroups is false with a cgroup mount")
	}
	steps, err := m.Finish(&CgroupView{pid: 1, unified: true})
	if err != nil {
		t.Fatal(err)
	}
	o.Cgroups = &CgroupView{pid: 1, unified: true}
	whole, err := MountPlan(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if ops(steps) != ops(whole) {
		t.Fatalf("two steps %q, one %q", ops(steps), ops(whole))
	}
	var order []string
	for _, st := range steps {
		if st.Op == 'E' {
			order = append(order, st.Args[0])
		}
	}
	if strings.Join(order, ",") != "0,1,2" {
		t.Fatalf("mounts planned in order %v, want 0,1,2", order)
	}
	// Without the view, a cgroup mount cannot be planned.
	m, _ = BeginMountPlan(s, Options{Rootfs: "/r"})
	if _, err := m.Finish(nil); err == nil || !strings.Contains(err.Error(), "cgroups were not read") {
		t.Fatalf("Finish(nil) with a cgroup mount: %v", err)
	}
	// Without a cgroup mount nothing is deferred.
	s.Mounts = s.Mounts[:1]
	if m, _ = BeginMountPlan(s, Options{Rootfs: "/r"}); m.NeedsCgroups() {
		t.Fatal("NeedsCgroups without a cgroup mount")
	}
}
