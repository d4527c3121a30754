package rootfs

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

func TestParseMountOptions(t *testing.T) {
	cases := []struct {
		opts  string
		flags uintptr
		clear uintptr
		prop  []uintptr
		data  string
	}{
		{"nosuid,noexec,nodev,ro", unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_RDONLY, 0, nil, ""},
		{"ro,rw", 0, unix.MS_RDONLY, nil, ""},
		{"rw,ro", unix.MS_RDONLY, 0, nil, ""},
		{"rbind,rprivate", unix.MS_BIND | unix.MS_REC, 0, []uintptr{unix.MS_PRIVATE | unix.MS_REC}, ""},
		{"bind,shared,runbindable", unix.MS_BIND, 0, []uintptr{unix.MS_SHARED, unix.MS_UNBINDABLE | unix.MS_REC}, ""},
		{"nosuid,strictatime,mode=755,size=65536k", unix.MS_NOSUID | unix.MS_STRICTATIME, 0, nil, "mode=755,size=65536k"},
		{"noatime,relatime", unix.MS_RELATIME, 0, nil, ""},
		{"newinstance,ptmxmode=0666,mode=0620,gid=5", 0, 0, nil, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"defaults,suid,dev,exec,async", 0, unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_SYNCHRONOUS, nil, ""},
		{"remount,sync,dirsync,nodiratime", unix.MS_REMOUNT | unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_NODIRATIME, 0, nil, ""},
		{"slave,rslave,private,unbindable", 0, 0, []uintptr{unix.MS_SLAVE, unix.MS_SLAVE | unix.MS_REC, unix.MS_PRIVATE, unix.MS_UNBINDABLE}, ""},
	}
	for _, c := range cases {
		m, err := parseMountOptions(strings.Split(c.opts, ","))
		if err != nil {
			t.Fatalf("%s: %v", c.opts, err)
		}
		if m.flags != c.flags || m.clear != c.clear || !reflect.DeepEqual(m.propFlags, c.prop) || m.dataString() != c.data {
			t.Errorf("%s: got flags %#x clear %#x prop %v data %q", c.opts, m.flags, m.clear, m.propFlags, m.dataString())
		}
		if m.recAttr {
			t.Errorf("%s: unexpected recursive attributes", c.opts)
		}
	}
}

func TestParseRecursiveOptions(t *testing.T) {
	cases := []struct {
		opts     string
		set, clr uint64
	}{
		{"rro", unix.MOUNT_ATTR_RDONLY, 0},
		{"rro,rrw", 0, unix.MOUNT_ATTR_RDONLY},
		{"rnosuid,rnodev,rnoexec", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, 0},
		{"rnoatime", unix.MOUNT_ATTR_NOATIME, unix.MOUNT_ATTR__ATIME},
		{"rnoatime,rrelatime", unix.MOUNT_ATTR_RELATIME, unix.MOUNT_ATTR__ATIME},
		{"rstrictatime,ratime", 0, unix.MOUNT_ATTR__ATIME},
		{"rnodiratime,rnosymfollow", unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW, 0},
	}
	for _, c := range cases {
		m, err := parseMountOptions(strings.Split(c.opts, ","))
		if err != nil {
			t.Fatalf("%s: %v", c.opts, err)
		}
		if !m.recAttr || m.attr.Attr_set != c.set || m.attr.Attr_clr != c.clr {
			t.Errorf("%s: got rec=%v set %#x clr %#x, want set %#x clr %#x", c.opts, m.recAttr, m.attr.Attr_set, m.attr.Attr_clr, c.set, c.clr)
		}
	}
}

// idmap/ridmap are done by the parent (TreeFds): never passed as fs data.
func TestParseMountOptionsIdmap(t *testing.T) {
	for _, o := range []string{"idmap", "ridmap"} {
		m, err := parseMountOptions([]string{"bind", o})
		if err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		if len(m.data) != 0 {
			t.Errorf("%s: passed as data %q", o, m.data)
		}
	}
}

func TestIsBind(t *testing.T) {
	for _, c := range []struct {
		typ, opts string
		want      bool
	}{
		{"bind", "ro", true},
		{"", "rbind", true},
		{"none", "bind,ro", true},
		{"tmpfs", "nosuid", false},
	} {
		m, _ := parseMountOptions(strings.Split(c.opts, ","))
		if got := isBind(c.typ, m); got != c.want {
			t.Errorf("%s %s: got %v", c.typ, c.opts, got)
		}
	}
}

func TestParsePropagation(t *testing.T) {
	if f, _ := ParsePropagation(""); f != unix.MS_SLAVE|unix.MS_REC {
		t.Errorf("default: %#x", f)
	}
	if f, _ := ParsePropagation("rshared"); f != unix.MS_SHARED|unix.MS_REC {
		t.Errorf("rshared: %#x", f)
	}
	if _, err := ParsePropagation("bogus"); err == nil || !strings.Contains(err.Error(), "linux.rootfsPropagation") {
		t.Errorf("bogus: %v", err)
	}
}

// The executor's remount_bind (nsenter/setup.c) keeps a mount's flags by
// reading statfs(2)'s f_flags as mount(2) flags: they must be the same bits
// (but ST_RELATIME, which it maps).
func TestStatfsFlagsAreMountFlags(t *testing.T) {
	for _, f := range [][2]uint64{
		{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
	} {
		if f[0] != f[1] {
			t.Errorf("statfs flag %#x is mount flag %#x", f[0], f[1])
		}
	}
}

func TestMatchHierarchy(t *testing.T) {
	own := map[string]string{"cpu,cpuacct": "/a", "name=systemd": "/b", "memory": "/c", "": "/d"}
	for super, want := range map[string]string{
		"rw,cpu,cpuacct":        "cpu,cpuacct",
		"rw,xattr,name=systemd": "name=systemd",
		"rw,memory":             "memory",
		"rw,pids":               "",
	} {
		c, _, ok := matchHierarchy(mountinfo.Mount{SuperOpts: super}, own)
		if c != want || ok != (want != "") {
			t.Errorf("%s: got %q %v", super, c, ok)
		}
	}
}

func TestHostCgroupDir(t *testing.T) {
	m := mountinfo.Mount{Root: "/", Mountpoint: "/"}
	if d, err := hostCgroupDir(m, "/proc"); err != nil || d != "/proc" {
		t.Errorf("got %q %v", d, err)
	}
	m = mountinfo.Mount{Root: "/x", Mountpoint: "/sys/fs/cgroup/cpu"}
	if _, err := hostCgroupDir(m, "/y"); err == nil {
		t.Error("path outside the mount root accepted")
	}
}

func TestMountErrorNamesField(t *testing.T) {
	err := mountError(3, &specs.Mount{Type: "proc", Destination: "/proc"}, "mount", unix.EPERM)
	if got := err.Error(); got != "mounts[3] (proc on /proc): mount: operation not permitted" {
		t.Errorf("got %q", got)
	}
}

func TestNeedsDevSetup(t *testing.T) {
	s := &specs.Spec{Mounts: []specs.Mount{{Destination: "/dev", Type: "tmpfs"}}}
	if !needsDevSetup(s) {
		t.Error("tmpfs /dev must be set up")
	}
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/", Type: "bind", Source: "/dev", Options: []string{"rbind"}})
	if needsDevSetup(s) {
		t.Error("bind-mounted /dev must be left alone")
	}
}

// Every option features reports is interpreted by the parser: none of them
// reaches the filesystem as data.
func TestKnownOptionsAreParsed(t *testing.T) {
	known := KnownOptions()
	for _, want := range []string{"rro", "rnosymfollow", "nosymfollow", "lazytime", "iversion", "silent", "tmpcopyup", "idmap", "bind", "rslave"} {
		found := false
		for _, o := range known {
			found = found || o == want
		}
		if !found {
			t.Errorf("%s missing from KnownOptions", want)
		}
	}
	for _, o := range known {
		m, err := parseMountOptions([]string{o})
		if err != nil {
			t.Errorf("%s: %v", o, err)
			continue
		}
		if len(m.data) != 0 {
			t.Errorf("%s is listed as known but goes to the filesystem as data %v", o, m.data)
		}
	}
}

func TestWithMountLabel(t *testing.T) {
	const label = "system_u:object_r:container_file_t:s0:c1,c2"
	for _, c := range []struct {
		data, label, fstype string
		selinux             bool
		want                string
	}{
		{"mode=755,size=65536k", label, "tmpfs", true, `mode=755,size=65536k,context="system_u:object_r:container_file_t:s0:c1,c2"`},
		{"", label, "tmpfs", true, `context="system_u:object_r:container_file_t:s0:c1,c2"`},
		{"newinstance,ptmxmode=0666", label, "devpts", true, `newinstance,ptmxmode=0666,context="system_u:object_r:container_file_t:s0:c1,c2"`},
		{"mode=755", label, "tmpfs", false, "mode=755"}, // SELinux off: ignored
		{"", label, "tmpfs", false, ""},
		{"mode=755", "", "tmpfs", true, "mode=755"},
		{"", label, "proc", true, ""},
		{"", label, "sysfs", true, ""},
		{"", label, "cgroup2", true, ""},
		{"", label, "cgroup", true, ""},
		{"", label, "mqueue", true, ""},
		{`context="a:b:c:s0"`, label, "tmpfs", true, `context="a:b:c:s0"`}, // the mount's own wins
		{"fscontext=x", label, "tmpfs", true, `fscontext=x,context="system_u:object_r:container_file_t:s0:c1,c2"`},
	} {
		if got := withMountLabel(c.data, c.label, c.fstype, c.selinux); got != c.want {
			t.Errorf("withMountLabel(%q, %q, %q, %v) = %s, want %s", c.data, c.label, c.fstype, c.selinux, got, c.want)
		}
	}
}
