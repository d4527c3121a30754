package spec

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ptr[T any](v T) *T { return &v }

// base returns a valid config; each case breaks one thing.
func base() *specs.Spec {
	s := Example()
	s.Process.Terminal = false
	return s
}

func setNS(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

func dropNS(s *specs.Spec, t specs.LinuxNamespaceType) {
	var out []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != t {
			out = append(out, ns)
		}
	}
	s.Linux.Namespaces = out
}

func userNS(s *specs.Spec) {
	setNS(s, specs.UserNamespace, "")
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
}

type validateCase struct {
	name   string
	mutate func(s *specs.Spec)
	want   string // substring of the error; "" means valid
}

func runValidateCases(t *testing.T, cases []validateCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.mutate(s)
			err := Validate(s, t.TempDir())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil, "/"); err == nil {
		t.Fatal("expected an error for a nil spec")
	}
}

func TestValidateVersion(t *testing.T) {
	set := func(v string) func(*specs.Spec) { return func(s *specs.Spec) { s.Version = v } }
	runValidateCases(t, []validateCase{
		{"1.0.0", set("1.0.0"), ""},
		{"1.0.2-dev", set("1.0.2-dev"), ""},
		{"1.0.0-rc5+build", set("1.0.0-rc5+build"), ""},
		{"1.3.9", set("1.3.9"), ""},
		{"current", set(specs.Version), ""},
		{"empty", set(""), "ociVersion: must be set"},
		{"2.0.0", set("2.0.0"), `ociVersion: "2.0.0" is not supported (hutch supports 1.0.x to 1.3.x)`},
		{"1.4.0", set("1.4.0"), `ociVersion: "1.4.0" is not supported`},
		{"0.9.0", set("0.9.0"), `ociVersion: "0.9.0" is not supported`},
		{"two parts", set("1.0"), `ociVersion: "1.0" is not a semantic version`},
		{"garbage", set("one"), "ociVersion: "},
		{"leading zero", set("1.01.0"), "ociVersion: "},
		{"dangling dash", set("1.0.0-"), "ociVersion: "},
	})
}

func TestValidateRootAndProcess(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root: must be set"},
		{"empty root path", func(s *specs.Spec) { s.Root.Path = "" }, "root.path: must not be empty"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process: must be set"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args: must not be empty"},
		{"empty arg0", func(s *specs.Spec) { s.Process.Args = []string{""} }, "process.args[0]: must not be empty"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "x" }, `process.cwd: must be an absolute path, got "x"`},
		{"empty cwd", func(s *specs.Spec) { s.Process.Cwd = "" }, "process.cwd: must be an absolute path"},
		{"env no =", func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "FOO") }, `process.env[2]: "FOO" is not KEY=VALUE`},
		{"env empty key", func(s *specs.Spec) { s.Process.Env = []string{"=x"} }, `process.env[0]: "=x" is not KEY=VALUE`},
		{"env empty value ok", func(s *specs.Spec) { s.Process.Env = []string{"A="} }, ""},
		{"consoleSize without terminal", func(s *specs.Spec) { s.Process.ConsoleSize = &specs.Box{Height: 1, Width: 1} },
			"process.consoleSize: requires process.terminal"},
		{"consoleSize with terminal", func(s *specs.Spec) {
			s.Process.Terminal = true
			s.Process.ConsoleSize = &specs.Box{Height: 1, Width: 1}
		}, ""},
		{"uid -1", func(s *specs.Spec) { s.Process.User.UID = ^uint32(0) }, "process.user.uid: "},
		{"gid -1", func(s *specs.Spec) { s.Process.User.GID = ^uint32(0) }, "process.user.gid: "},
		{"additional gid -1", func(s *specs.Spec) { s.Process.User.AdditionalGids = []uint32{5, ^uint32(0)} },
			"process.user.additionalGids[1]: "},
		{"umask", func(s *specs.Spec) { s.Process.User.Umask = ptr(uint32(0o1022)) }, "process.user.umask: "},
		{"umask ok", func(s *specs.Spec) { s.Process.User.Umask = ptr(uint32(0o022)) }, ""},
		{"rlimit prefix", func(s *specs.Spec) { s.Process.Rlimits[0].Type = "NOFILE" },
			`process.rlimits[0].type: "NOFILE" must start with RLIMIT_`},
		{"rlimit unknown", func(s *specs.Spec) { s.Process.Rlimits[0].Type = "RLIMIT_FOO" },
			`process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"`},
		{"rlimit duplicate", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Hard: 1, Soft: 1})
		}, `process.rlimits[1].type: "RLIMIT_NOFILE" is already set by process.rlimits[0]`},
		{"rlimit soft > hard", func(s *specs.Spec) { s.Process.Rlimits[0].Soft = 2048 }, "process.rlimits[0]: soft limit"},
		{"empty capability", func(s *specs.Spec) { s.Process.Capabilities.Ambient = []string{""} },
			"process.capabilities.ambient[0]: must not be empty"},
		{"oomScoreAdj", func(s *specs.Spec) { s.Process.OOMScoreAdj = ptr(1001) }, "process.oomScoreAdj: "},
	})
}

func TestValidateUTS(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"hostname without uts", func(s *specs.Spec) { dropNS(s, specs.UTSNamespace) },
			"hostname: requires a uts namespace"},
		{"domainname without uts", func(s *specs.Spec) {
			dropNS(s, specs.UTSNamespace)
			s.Hostname = ""
			s.Domainname = "example.org"
		}, "domainname: requires a uts namespace"},
		{"no hostname without uts", func(s *specs.Spec) { dropNS(s, specs.UTSNamespace); s.Hostname = "" }, ""},
		{"hostname with joined uts", func(s *specs.Spec) { setNS(s, specs.UTSNamespace, "/proc/self/ns/uts") }, ""},
		{"no linux section", func(s *specs.Spec) { s.Linux = nil }, "hostname: requires a uts namespace"},
		{"no linux section, no hostname", func(s *specs.Spec) { s.Linux = nil; s.Hostname = "" }, ""},
	})
}

func TestValidateNamespaces(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"unknown type", func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" },
			`linux.namespaces[2].type: unknown namespace type "foo"`},
		{"duplicate", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, `linux.namespaces[6].type: "pid" is already listed at linux.namespaces[0]`},
		// The paths themselves are checked where they are opened
		// (libcontainer.openJoinedNamespaces, TestOpenJoinedNamespaces).
		{"existing path", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "/proc/self/ns/net" }, ""},
		{"time namespace", func(s *specs.Spec) { setNS(s, specs.TimeNamespace, "") }, ""},
		{"time offsets", func(s *specs.Spec) {
			setNS(s, specs.TimeNamespace, "")
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}, "boottime": {Nanosecs: 5}}
		}, ""},
		{"time offsets joined", func(s *specs.Spec) {
			setNS(s, specs.TimeNamespace, "/proc/self/ns/time")
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
		}, "linux.timeOffsets: cannot be applied to a joined time namespace"},
		{"time offsets without ns", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
		}, "linux.timeOffsets: set but there is no time namespace"},
		{"time offsets bad clock", func(s *specs.Spec) {
			setNS(s, specs.TimeNamespace, "")
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 10}}
		}, `linux.timeOffsets: unknown clock "realtime"`},
		{"time offsets nanosecs", func(s *specs.Spec) {
			setNS(s, specs.TimeNamespace, "")
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Nanosecs: 1e9}}
		}, "linux.timeOffsets.boottime.nanosecs: "},
	})
}

func TestValidateIDMappings(t *testing.T) {
	m := func(c, h, n uint32) specs.LinuxIDMapping {
		return specs.LinuxIDMapping{ContainerID: c, HostID: h, Size: n}
	}
	runValidateCases(t, []validateCase{
		{"user ns ok", userNS, ""},
		{"user ns joined, no maps", func(s *specs.Spec) { setNS(s, specs.UserNamespace, "/proc/self/ns/user") }, ""},
		{"user ns no uid maps", func(s *specs.Spec) { userNS(s); s.Linux.UIDMappings = nil },
			"linux.uidMappings: required for a new user namespace"},
		{"user ns no gid maps", func(s *specs.Spec) { userNS(s); s.Linux.GIDMappings = nil },
			"linux.gidMappings: required for a new user namespace"},
		{"uid maps without user ns", func(s *specs.Spec) { s.Linux.UIDMappings = []specs.LinuxIDMapping{m(0, 1000, 1)} },
			"linux.uidMappings: set but there is no user namespace"},
		{"gid maps without user ns", func(s *specs.Spec) { s.Linux.GIDMappings = []specs.LinuxIDMapping{m(0, 1000, 1)} },
			"linux.gidMappings: set but there is no user namespace"},
		{"zero size", func(s *specs.Spec) { userNS(s); s.Linux.UIDMappings[0].Size = 0 },
			"linux.uidMappings[0].size: must be greater than 0"},
		{"container overlap", func(s *specs.Spec) {
			userNS(s)
			s.Linux.GIDMappings = []specs.LinuxIDMapping{m(0, 1000, 10), m(5, 2000, 10)}
		}, "linux.gidMappings[1]: container ids overlap with linux.gidMappings[0]"},
		{"host overlap", func(s *specs.Spec) {
			userNS(s)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{m(0, 1000, 10), m(100, 1009, 1)}
		}, "linux.uidMappings[1]: host ids overlap with linux.uidMappings[0]"},
		{"adjacent ok", func(s *specs.Spec) {
			userNS(s)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{m(0, 1000, 1), m(1, 100000, 65536)}
		}, ""},
		{"wraps", func(s *specs.Spec) {
			userNS(s)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{m(0xFFFFFFF0, 1000, 0x20)}
		}, "linux.uidMappings[0]: containerID"},
		{"holds (uid_t)-1", func(s *specs.Spec) {
			userNS(s)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{m(0, 0xFFFFFFFF, 1)}
		}, "linux.uidMappings[0]: hostID 4294967295 + size 1 exceeds the 32-bit id space (4294967295 is not an id)"},
		{"too many", func(s *specs.Spec) {
			userNS(s)
			s.Linux.UIDMappings = nil
			for i := uint32(0); i < 341; i++ {
				s.Linux.UIDMappings = append(s.Linux.UIDMappings, m(i, 1000+i, 1))
			}
		}, "linux.uidMappings: 341 ranges"},
	})
}

func TestValidateMounts(t *testing.T) {
	add := func(m specs.Mount) func(*specs.Spec) {
		return func(s *specs.Spec) { s.Mounts = append(s.Mounts, m) }
	}
	idm := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	runValidateCases(t, []validateCase{
		{"relative destination accepted", add(specs.Mount{Destination: "data", Type: "tmpfs", Source: "tmpfs"}), ""},
		{"empty destination", add(specs.Mount{Type: "tmpfs"}), "mounts[7].destination: must not be empty"},
		{"bind without source", add(specs.Mount{Destination: "/x", Options: []string{"rbind"}}),
			"mounts[7].source: required for a bind mount"},
		{"bind type without source", add(specs.Mount{Destination: "/x", Type: "bind"}),
			"mounts[7].source: required for a bind mount"},
		{"bind ok", add(specs.Mount{Destination: "/x", Type: "none", Source: "/tmp", Options: []string{"bind", "ro"}}), ""},
		{"no type", add(specs.Mount{Destination: "/x", Source: "foo"}),
			"mounts[7].type: required unless options include bind or rbind"},
		{"empty option", add(specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"ro", " "}}),
			"mounts[7].options[1]: must not be empty"},
		{"idmap ok", add(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", UIDMappings: idm, GIDMappings: idm}), ""},
		{"idmap one side", add(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", UIDMappings: idm}),
			"mounts[7]: uidMappings and gidMappings must be set together"},
		{"idmap not bind", add(specs.Mount{Destination: "/x", Type: "tmpfs", UIDMappings: idm, GIDMappings: idm}),
			"mounts[7]: uidMappings/gidMappings require a bind mount"},
		{"idmap zero size", add(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp",
			UIDMappings: idm, GIDMappings: []specs.LinuxIDMapping{{}}}),
			"mounts[7].gidMappings[0].size: must be greater than 0"},
	})
}

func TestMountDestination(t *testing.T) {
	for in, want := range map[string]string{"/a/b": "/a/b", "a/b": "/a/b", "../../etc": "/etc", "/a/../..": "/", "": "/"} {
		if got := MountDestination(specs.Mount{Destination: in}); got != want {
			t.Errorf("MountDestination(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateDevicesAndPaths(t *testing.T) {
	dev := func(d specs.LinuxDevice) func(*specs.Spec) {
		return func(s *specs.Spec) { s.Linux.Devices = append(s.Linux.Devices, d) }
	}
	runValidateCases(t, []validateCase{
		{"char ok", dev(specs.LinuxDevice{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o666))}), ""},
		{"fifo ok", dev(specs.LinuxDevice{Path: "/dev/myfifo", Type: "p"}), ""},
		{"relative", dev(specs.LinuxDevice{Path: "dev/fuse", Type: "c", Major: 10}),
			`linux.devices[0].path: must be an absolute path, got "dev/fuse"`},
		{"outside /dev", dev(specs.LinuxDevice{Path: "/etc/fuse", Type: "c", Major: 10}),
			`linux.devices[0].path: "/etc/fuse" is not under /dev`},
		{"escapes /dev", dev(specs.LinuxDevice{Path: "/dev/../etc/x", Type: "c", Major: 10}),
			"linux.devices[0].path: "},
		{"bad type", dev(specs.LinuxDevice{Path: "/dev/x", Type: "x", Major: 1}),
			`linux.devices[0].type: unknown device type "x"`},
		{"no major", dev(specs.LinuxDevice{Path: "/dev/x", Type: "b"}), `linux.devices[0].major: required for type "b"`},
		{"negative minor", dev(specs.LinuxDevice{Path: "/dev/x", Type: "u", Major: 1, Minor: -1}), "linux.devices[0].minor: "},
		{"file mode type bits", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, FileMode: ptr(os.ModeDevice | 0o666)}),
			"linux.devices[0].fileMode: "},
		{"st_mode of a char device", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, FileMode: ptr(os.FileMode(0o20666))}), ""},
		{"st_mode of a block device", dev(specs.LinuxDevice{Path: "/dev/x", Type: "b", Major: 7, FileMode: ptr(os.FileMode(0o60660))}), ""},
		{"st_mode type mismatch", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, FileMode: ptr(os.FileMode(0o60666))}),
			`linux.devices[0].fileMode: 060666 has file type bits 060000 that do not match type "c"`},
		{"setuid bit", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, FileMode: ptr(os.FileMode(0o4666))}),
			"linux.devices[0].fileMode: 04666 has bits outside 0777"},
		{"uid (uid_t)-1", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, UID: ptr(uint32(0xFFFFFFFF))}),
			"linux.devices[0].uid: 4294967295 is not a valid id"},
		{"gid (gid_t)-1", dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, GID: ptr(uint32(0xFFFFFFFF))}),
			"linux.devices[0].gid: 4294967295 is not a valid id"},
		{"duplicate", func(s *specs.Spec) {
			d := specs.LinuxDevice{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}
			s.Linux.Devices = []specs.LinuxDevice{d, d}
		}, `linux.devices[1].path: "/dev/fuse" is already listed at linux.devices[0]`},
		{"propagation ok", func(s *specs.Spec) { s.Linux.RootfsPropagation = "rslave" }, ""},
		{"propagation bad", func(s *specs.Spec) { s.Linux.RootfsPropagation = "bogus" },
			`linux.rootfsPropagation: unknown value "bogus"`},
		{"masked relative", func(s *specs.Spec) { s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "proc/x") },
			"linux.maskedPaths[11]: must be an absolute path"},
		{"readonly relative", func(s *specs.Spec) { s.Linux.ReadonlyPaths[0] = "proc/bus" },
			"linux.readonlyPaths[0]: must be an absolute path"},
		{"sysctl ok", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} }, ""},
		{"sysctl empty key", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"": "1"} },
			"linux.sysctl: key must not be empty"},
		{"mountLabel ok", func(s *specs.Spec) { s.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2" }, ""},
		{"mountLabel quote", func(s *specs.Spec) { s.Linux.MountLabel = `a:b:c:s0",size=1` },
			`linux.mountLabel: "a:b:c:s0\",size=1": an SELinux context has no quote`},
		{"mountLabel newline", func(s *specs.Spec) { s.Linux.MountLabel = "a:b:c:s0\n" }, "linux.mountLabel: "},
	})
}

func TestValidateHooks(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"ok", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true", Timeout: ptr(5), Env: []string{"A=b"}}}}
		}, ""},
		{"relative path", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}, {Path: "true"}}}
		}, `hooks.createRuntime[1].path: must be an absolute path, got "true"`},
		{"zero timeout", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/true", Timeout: ptr(0)}}}
		}, "hooks.prestart[0].timeout: must be greater than 0"},
		{"negative timeout", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true", Timeout: ptr(-1)}}}
		}, "hooks.poststop[0].timeout: must be greater than 0, got -1"},
		{"bad env", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Env: []string{"X"}}}}
		}, `hooks.startContainer[0].env[0]: "X" is not KEY=VALUE`},
		{"createContainer", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: ""}}}
		}, "hooks.createContainer[0].path: "},
	})
}

func TestValidateSeccomp(t *testing.T) {
	sc := func(f func(*specs.LinuxSeccomp)) func(*specs.Spec) {
		return func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
				Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
				Syscalls: []specs.LinuxSyscall{
					{Names: []string{"read", "write"}, Action: specs.ActAllow},
					{Names: []string{"personality"}, Action: specs.ActAllow,
						Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
				},
			}
			f(s.Linux.Seccomp)
		}
	}
	runValidateCases(t, []validateCase{
		{"ok", sc(func(*specs.LinuxSeccomp) {}), ""},
		{"no default", sc(func(c *specs.LinuxSeccomp) { c.DefaultAction = "" }), "linux.seccomp.defaultAction: must be set"},
		{"bad default", sc(func(c *specs.LinuxSeccomp) { c.DefaultAction = "SCMP_ACT_NOPE" }),
			`linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{"notify default", sc(func(c *specs.LinuxSeccomp) { c.DefaultAction = specs.ActNotify; c.ListenerPath = "/run/a.sock" }),
			"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
		{"default errno ok", sc(func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = ptr(uint(38)) }), ""},
		{"default errno bad", sc(func(c *specs.LinuxSeccomp) { c.DefaultAction = specs.ActKill; c.DefaultErrnoRet = ptr(uint(1)) }),
			"linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO"},
		{"bad arch", sc(func(c *specs.LinuxSeccomp) { c.Architectures[1] = "SCMP_ARCH_Z80" }),
			`linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"`},
		{"bad flag", sc(func(c *specs.LinuxSeccomp) { c.Flags = append(c.Flags, "SECCOMP_FILTER_FLAG_NOPE") }),
			`linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_NOPE"`},
		{"tsync flag", sc(func(c *specs.LinuxSeccomp) { c.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"} }), ""},
		{"bad syscall action", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[1].Action = "ALLOW" }),
			`linux.seccomp.syscalls[1].action: unknown action "ALLOW"`},
		{"empty syscall action", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[0].Action = "" }),
			"linux.seccomp.syscalls[0].action: must be set"},
		{"no names", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names = nil }),
			"linux.seccomp.syscalls[0].names: must not be empty"},
		{"empty name", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names[1] = "" }),
			"linux.seccomp.syscalls[0].names[1]: must not be empty"},
		{"errnoRet bad", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[0].ErrnoRet = ptr(uint(1)) }),
			"linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"},
		{"errnoRet ok", sc(func(c *specs.LinuxSeccomp) {
			c.Syscalls[0].Action = specs.ActErrno
			c.Syscalls[0].ErrnoRet = ptr(uint(1))
		}), ""},
		{"arg index", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[1].Args[0].Index = 6 }),
			"linux.seccomp.syscalls[1].args[0].index: 6 is out of range"},
		{"arg op", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[1].Args[0].Op = "EQ" }),
			`linux.seccomp.syscalls[1].args[0].op: unknown operator "EQ"`},
		{"notify without listener", sc(func(c *specs.LinuxSeccomp) { c.Syscalls[0].Action = specs.ActNotify }),
			"linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY"},
		{"notify with listener", sc(func(c *specs.LinuxSeccomp) {
			c.Syscalls[0].Action = specs.ActNotify
			c.ListenerPath = "/run/agent.sock"
			c.ListenerMetadata = "meta"
		}), ""},
		{"relative listener", sc(func(c *specs.LinuxSeccomp) { c.ListenerPath = "agent.sock" }),
			"linux.seccomp.listenerPath: must be an absolute path"},
		{"metadata without listener", sc(func(c *specs.LinuxSeccomp) { c.ListenerMetadata = "x" }),
			"linux.seccomp.listenerMetadata: requires linux.seccomp.listenerPath"},
	})
}

func TestValidateReportsAll(t *testing.T) {
	s := base()
	s.Version = ""
	s.Process.Cwd = "rel"
	s.Linux.MaskedPaths = []string{"x"}
	err := Validate(s, t.TempDir())
	if err == nil {
		t.Fatal("expected errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 errors, one per line, got %q", err)
	}
}

func TestValidateIntelRdt(t *testing.T) {
	rdt := func(r specs.LinuxIntelRdt) func(*specs.Spec) {
		return func(s *specs.Spec) { s.Linux.IntelRdt = &r }
	}
	runValidateCases(t, []validateCase{
		{"empty", rdt(specs.LinuxIntelRdt{}), ""},
		{"spec example", rdt(specs.LinuxIntelRdt{ClosID: "guaranteed_group", Schemata: []string{"L3:0=7f0;1=1f", "L2:0=f;1=f;2=f;3=f", "MB:0=20;1=70"}}), ""},
		{"root group", rdt(specs.LinuxIntelRdt{ClosID: "/", L3CacheSchema: "L3:0=f", MemBwSchema: "MB:0=50", EnableMonitoring: true}), ""},
		{"CDP lines", rdt(specs.LinuxIntelRdt{L3CacheSchema: "L3CODE:0=f\nL3DATA:0=f0"}), ""},
		{"closID up", rdt(specs.LinuxIntelRdt{ClosID: "../x"}), `linux.intelRdt.closID: "../x" is not a directory name`},
		{"closID path", rdt(specs.LinuxIntelRdt{ClosID: "a/b"}), `linux.intelRdt.closID: "a/b" is not a directory name`},
		{"closID dot", rdt(specs.LinuxIntelRdt{ClosID: "."}), `linux.intelRdt.closID: "." is not`},
		{"closID dotdot", rdt(specs.LinuxIntelRdt{ClosID: ".."}), `linux.intelRdt.closID: ".." is not`},
		{"closID NUL", rdt(specs.LinuxIntelRdt{ClosID: "a\x00"}), `linux.intelRdt.closID: "a\x00" is not`},
		{"closID too long", rdt(specs.LinuxIntelRdt{ClosID: strings.Repeat("a", 256)}), "linux.intelRdt.closID: "},
		{"l3 empty line", rdt(specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f\n"}), "linux.intelRdt.l3CacheSchema: line 2: empty line"},
		{"l3 no resource", rdt(specs.LinuxIntelRdt{L3CacheSchema: "0=f"}), `linux.intelRdt.l3CacheSchema: line 1: "0=f" is not a schemata line`},
		{"mb newline", rdt(specs.LinuxIntelRdt{MemBwSchema: "MB:0=50\nL3:0=f"}), `linux.intelRdt.memBwSchema: "MB:0=50\nL3:0=f" must not contain a newline`},
		{"mb prefix", rdt(specs.LinuxIntelRdt{MemBwSchema: "L3:0=f"}), `linux.intelRdt.memBwSchema: "L3:0=f" must start with "MB:"`},
		{"schemata empty", rdt(specs.LinuxIntelRdt{Schemata: []string{"L3:0=f", " "}}), "linux.intelRdt.schemata[1]: empty line"},
		{"schemata newline", rdt(specs.LinuxIntelRdt{Schemata: []string{"L3:0=f\nMB:0=1"}}), "linux.intelRdt.schemata[0]: "},
		{"schemata no values", rdt(specs.LinuxIntelRdt{Schemata: []string{"MB:"}}), `linux.intelRdt.schemata[0]: "MB:" is not a schemata line`},
	})
}

// Strings that reach the init's C decoders must not hold a NUL, which
// would cut them short there.
func TestValidateNUL(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"arg", func(s *specs.Spec) { s.Process.Args = []string{"sh", "a\x00b"} }, "process.args[1]: contains a NUL byte"},
		{"env", func(s *specs.Spec) { s.Process.Env = []string{"A=b\x00c"} }, "process.env[0]: contains a NUL byte"},
		{"cwd", func(s *specs.Spec) { s.Process.Cwd = "/a\x00" }, "process.cwd: contains a NUL byte"},
		{"mount destination", func(s *specs.Spec) { s.Mounts[0].Destination = "/proc\x00/x" },
			"mounts[0].destination: contains a NUL byte"},
		{"mount option", func(s *specs.Spec) { s.Mounts[1].Options = []string{"nosuid", "mode=755\x00"} },
			"mounts[1].options[1]: contains a NUL byte"},
		{"startContainer hook arg", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Args: []string{"true", "\x00"}}}}
		}, "hooks.startContainer[0].args[1]: contains a NUL byte"},
		{"sysctl value", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1\x00"} },
			`linux.sysctl["net.ipv4.ip_forward"]: contains a NUL byte`},
		{"masked path", func(s *specs.Spec) { s.Linux.MaskedPaths = []string{"/proc/kcore\x00"} },
			"linux.maskedPaths[0]: contains a NUL byte"},
		{"hostname", func(s *specs.Spec) { s.Hostname = "h\x00" }, "hostname: contains a NUL byte"},
	})
}
