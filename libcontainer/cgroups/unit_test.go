package cgroups

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestResolvePath(t *testing.T) {
	cases := []struct {
		in, id, want string
		bad          bool
	}{
		{"", "abc", "/hutch/abc", false},
		{"/a/b", "x", "/a/b", false},
		{"a/b", "x", "/a/b", false},
		{"//a//b/", "x", "/a/b", false},
		{"./a/./b", "x", "/a/b", false},
		{"/a/../b", "x", "", true},
		{"..", "x", "", true},
		{"/", "x", "", true},
		{".", "x", "", true},
		{"", "", "", true},
		{"", "a/b", "", true},
		{"", "..", "", true},
		{"a\x00b", "x", "", true},
	}
	for _, c := range cases {
		got, err := ResolvePath(c.in, c.id)
		if c.bad {
			if err == nil {
				t.Errorf("ResolvePath(%q, %q) = %q, want error", c.in, c.id, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ResolvePath(%q, %q) = %q, %v; want %q", c.in, c.id, got, err, c.want)
		}
	}
	if _, err := ResolvePath("/a/../b", "x"); err == nil || !strings.Contains(err.Error(), "linux.cgroupsPath") {
		t.Errorf("error should name linux.cgroupsPath: %v", err)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{0: 0, 1: 1, 2: 1, 1024: 100, 262144: 10000, 1 << 20: 10000} {
		if got := SharesToWeight(shares); got != want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
	prev := uint64(0)
	for s := uint64(2); s <= 262144; s += 97 {
		w := SharesToWeight(s)
		if w < prev || w < 1 || w > 10000 {
			t.Fatalf("SharesToWeight not monotonic/in range at %d: %d after %d", s, w, prev)
		}
		prev = w
	}
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	for in, want := range map[uint16]uint64{0: 0, 1: 1, 10: 1, 500: 4950, 1000: 10000, 2000: 10000} {
		if got := BlkioWeightToIOWeight(in); got != want {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", in, got, want)
		}
	}
}

func i64(v int64) *int64 { return &v }

func TestSwapV2(t *testing.T) {
	cases := []struct {
		limit, swap *int64
		want        string
		ok, bad     bool
	}{
		{nil, nil, "", false, false},
		{i64(100), nil, "", false, false},
		{i64(-1), nil, "max", true, false},
		{i64(100), i64(-1), "max", true, false},
		{i64(100), i64(300), "200", true, false},
		{i64(100), i64(100), "0", true, false},
		{i64(100), i64(0), "", false, false},
		{i64(100), i64(50), "", false, true},
		{nil, i64(50), "", false, true},
		{i64(-1), i64(50), "", false, true},
	}
	for _, c := range cases {
		got, ok, err := swapV2(c.limit, c.swap)
		if (err != nil) != c.bad || got != c.want || ok != c.ok {
			t.Errorf("swapV2(%v, %v) = %q, %v, %v", c.limit, c.swap, got, ok, err)
		}
	}
}

func TestDevRules(t *testing.T) {
	maj, mnr := int64(1), int64(3)
	cases := []struct {
		in   specs.LinuxDeviceCgroup
		want []string
		bad  bool
	}{
		{specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}, []string{"a"}, false},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &maj, Minor: &mnr, Access: "rwm"}, []string{"c 1:3 rwm"}, false},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &maj}, []string{"c 1:* rwm"}, false},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "a", Access: "m"}, []string{"b *:* m", "c *:* m"}, false},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "x"}, nil, true},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "rwx"}, nil, true},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "rr"}, nil, true},
	}
	for _, c := range cases {
		rs, err := toDevRules(c.in)
		if (err != nil) != c.bad {
			t.Errorf("toDevRules(%+v): err %v", c.in, err)
			continue
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.line)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("toDevRules(%+v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPageSize(t *testing.T) {
	for in, want := range map[string]uint64{"2MB": 2048, "1GB": 1 << 20, "64KB": 64} {
		if got, err := pageSizeKB(in); err != nil || got != want {
			t.Errorf("pageSizeKB(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "2M", "2mb", "0MB", "MB", "2 MB"} {
		if _, err := pageSizeKB(in); err == nil {
			t.Errorf("pageSizeKB(%q) should fail", in)
		}
	}
}

const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 31 0:32 / /mnt/with\040space rw,relatime - cgroup cgroup rw,pids
`

func TestParseMountinfo(t *testing.T) {
	h, err := parseMountinfo(strings.NewReader(hybridMountinfo), false)
	if err != nil {
		t.Fatal(err)
	}
	if h.mode != Hybrid || h.unified != "/sys/fs/cgroup/unified" {
		t.Errorf("mode %v unified %q", h.mode, h.unified)
	}
	want := map[string]string{
		"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"memory": "/sys/fs/cgroup/memory", "name=systemd": "/sys/fs/cgroup/systemd",
		"pids": "/mnt/with space",
	}
	if len(h.v1) != len(want) {
		t.Errorf("v1 = %v", h.v1)
	}
	for k, v := range want {
		if h.v1[k] != v {
			t.Errorf("v1[%q] = %q, want %q", k, h.v1[k], v)
		}
	}

	legacy := strings.ReplaceAll(hybridMountinfo, "cgroup2 cgroup2", "tmpfs tmpfs")
	if h, err := parseMountinfo(strings.NewReader(legacy), false); err != nil || h.mode != Legacy {
		t.Errorf("legacy: %+v %v", h, err)
	}
	pure := "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
	if h, err := parseMountinfo(strings.NewReader(pure), true); err != nil || h.mode != Unified || h.unified != "/sys/fs/cgroup" || len(h.v1) != 0 {
		t.Errorf("unified: %+v %v", h, err)
	}
	if _, err := parseMountinfo(strings.NewReader("1 2 0:1 / / rw - ext4 /dev/sda rw\n"), false); err == nil {
		t.Error("no cgroups mounted should fail")
	}
}

func TestLoadDestroyIgnoresForeignDirs(t *testing.T) {
	// A state file naming dirs outside the container's paths must not make
	// Destroy rmdir them.
	m := Load(map[string]string{"memory": "/sys/fs/cgroup/memory/hutch/c1"}, []string{"/tmp", "/sys/fs/cgroup/memory/other", "relative"})
	if got := m.(*manager).ownedDirs(); len(got) != 0 {
		t.Errorf("ownedDirs = %v, want none", got)
	}
}

// Owned: only a cgroup whose every leaf hutch created is the container's
// alone (a parent created on the way does not make a joined leaf owned).
func TestOwned(t *testing.T) {
	paths := map[string]string{"memory": "/sys/fs/cgroup/memory/a/b", "": "/sys/fs/cgroup/unified/a/b"}
	tests := []struct {
		created []string
		want    bool
	}{
		{[]string{"/sys/fs/cgroup/memory/a", "/sys/fs/cgroup/memory/a/b", "/sys/fs/cgroup/unified/a/b"}, true},
		{[]string{"/sys/fs/cgroup/memory/a/b/", "/sys/fs/cgroup/unified/a/b"}, true},
		{[]string{"/sys/fs/cgroup/memory/a", "/sys/fs/cgroup/unified/a"}, false},
		{[]string{"/sys/fs/cgroup/memory/a/b"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Load(paths, tt.created).Owned(); got != tt.want {
			t.Errorf("created %v: Owned() = %v, want %v", tt.created, got, tt.want)
		}
	}
	if Load(nil, nil).Owned() {
		t.Error("a manager without paths owns nothing")
	}
}
