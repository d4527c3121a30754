package intelrdt

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const hostMounts = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:3 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
`

func TestFindResctrl(t *testing.T) {
	if _, err := findResctrl(strings.NewReader(hostMounts + "34 22 0:41 / /x rw -\n")); err == nil {
		t.Error("a truncated mountinfo line accepted")
	}
	for _, tt := range []struct {
		name, mountinfo, want string
	}{
		{"none", hostMounts, ""},
		{"empty", "", ""},
		{"default place", hostMounts + "30 24 0:40 / /sys/fs/resctrl rw,relatime shared:9 - resctrl resctrl rw,mba_MBps\n", "/sys/fs/resctrl"},
		{"elsewhere, no optional fields", hostMounts + "31 22 0:40 / /mnt/rdt rw,relatime - resctrl resctrl rw\n", "/mnt/rdt"},
		{"first of two", hostMounts + "31 22 0:40 / /mnt/a rw - resctrl resctrl rw\n32 22 0:40 / /mnt/b rw - resctrl resctrl rw\n", "/mnt/a"},
		{"escaped mount point", hostMounts + "31 22 0:40 / /mnt/my\\040rdt rw - resctrl resctrl rw\n", "/mnt/my rdt"},
		// The source or the mount point may be called resctrl: only the
		// type after the separator counts.
		{"other type named resctrl", hostMounts + "33 22 0:41 / /resctrl rw - tmpfs resctrl rw\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findResctrl(strings.NewReader(tt.mountinfo))
			if err != nil || got != tt.want {
				t.Fatalf("findResctrl = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// This host's answers, whatever it has: nil passes, and intelRdt is
// always refused with the field named.
func TestCheck(t *testing.T) {
	if err := Check(nil); err != nil {
		t.Fatalf("Check(nil) = %v", err)
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	err = Check(&specs.LinuxIntelRdt{ClosID: "x"})
	want := "linux.intelRdt: the resctrl filesystem is not mounted on this host (the runtime spec requires an error)"
	if root != "" {
		want = "linux.intelRdt: resctrl is mounted on " + root + ", but hutch does not yet write resctrl groups"
	}
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Check = %v, want %q", err, want)
	}
}

func TestCheckUpdate(t *testing.T) {
	if err := CheckUpdate(nil, "", ""); err != nil {
		t.Fatalf("no schema: %v", err)
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	saved := &specs.LinuxIntelRdt{ClosID: "x"}
	for _, tt := range []struct {
		saved          *specs.LinuxIntelRdt
		l3, mb         string
		unmounted, has string
	}{
		{saved, "L3:0=f", "", "--l3-cache-schema: Intel RDT/CAT: l3 cache schema is not enabled", "--l3-cache-schema: resctrl is mounted"},
		{saved, "L3:0=f", "MB:0=50", "--l3-cache-schema: Intel RDT/CAT", "--l3-cache-schema: resctrl is mounted"},
		{nil, "", "MB:0=50", "--mem-bw-schema: Intel RDT/MBA: memory bandwidth schema is not enabled",
			"--mem-bw-schema: updating a non-existent Intel RDT configuration is not supported"},
	} {
		want := tt.unmounted
		if root != "" {
			want = tt.has
		}
		err := CheckUpdate(tt.saved, tt.l3, tt.mb)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("CheckUpdate(%v, %q, %q) = %v, want %q...", tt.saved, tt.l3, tt.mb, err, want)
		}
	}
}
