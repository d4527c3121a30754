package rootfs

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOpts is the parsed form of one spec mount's options.
type mountOpts struct {
	flags     uintptr   // mount(2) flags, without propagation
	clear     uintptr   // flags explicitly cleared (rw, suid, ...), kept to know what the user asked for
	propFlags []uintptr // propagation changes, applied one by one after the mount
	attr      unix.MountAttr
	recAttr   bool     // attr must be applied with mount_setattr(AT_RECURSIVE)
	data      []string // everything the kernel must see as fs data
	tmpcopyup bool
}

type flagOpt struct {
	clear bool
	flag  uintptr
}

var flagOpts = map[string]flagOpt{
	"async":         {true, unix.MS_SYNCHRONOUS},
	"atime":         {true, unix.MS_NOATIME},
	"bind":          {false, unix.MS_BIND},
	"defaults":      {false, 0},
	"dev":           {true, unix.MS_NODEV},
	"diratime":      {true, unix.MS_NODIRATIME},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"exec":          {true, unix.MS_NOEXEC},
	"iversion":      {false, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"loud":          {true, unix.MS_SILENT},
	"mand":          {false, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"nodev":         {false, unix.MS_NODEV},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"noexec":        {false, unix.MS_NOEXEC},
	"noiversion":    {true, unix.MS_I_VERSION},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nomand":        {true, unix.MS_MANDLOCK},
	"norelatime":    {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid":        {false, unix.MS_NOSUID},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"remount":       {false, unix.MS_REMOUNT},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"silent":        {false, unix.MS_SILENT},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"suid":          {true, unix.MS_NOSUID},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"sync":          {false, unix.MS_SYNCHRONOUS},
}

var propOpts = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recursive ("r"-prefixed) options map to mount_setattr attributes.
type attrOpt struct {
	clear bool
	attr  uint64
}

var recAttrOpts = map[string]attrOpt{
	"rro":            {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":            {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {false, unix.MOUNT_ATTR_NODEV},
	"rdev":           {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime":      {false, unix.MOUNT_ATTR_RELATIME},
	"rnorelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":       {false, unix.MOUNT_ATTR_NOATIME},
	"ratime":         {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime":   {false, unix.MOUNT_ATTR_STRICTATIME},
	"rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// extraOpts are options hutch acts on that are neither flags nor
// attributes: idmapped binds (made by the parent) and tmpfs copy-up.
var extraOpts = []string{"idmap", "ridmap", "tmpcopyup"}

// KnownOptions lists every mount option hutch interprets itself (the rest
// go to the filesystem as data), sorted: what `hutch features` reports.
func KnownOptions() []string {
	out := append([]string(nil), extraOpts...)
	for o := range flagOpts {
		out = append(out, o)
	}
	for o := range propOpts {
		out = append(out, o)
	}
	for o := range recAttrOpts {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// atimeFlags are mutually exclusive mount(2) atime modes.
const atimeFlags = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

func parseMountOptions(opts []string) (mountOpts, error) {
	var m mountOpts
	for _, o := range opts {
		if f, ok := flagOpts[o]; ok {
			if f.clear {
				m.flags &^= f.flag
				m.clear |= f.flag
			} else {
				if f.flag&atimeFlags != 0 {
					m.flags &^= atimeFlags
				}
				m.flags |= f.flag
				m.clear &^= f.flag
			}
			continue
		}
		if p, ok := propOpts[o]; ok {
			m.propFlags = append(m.propFlags, p)
			continue
		}
		if a, ok := recAttrOpts[o]; ok {
			m.recAttr = true
			if o == "rrelatime" || o == "rnoatime" || o == "ratime" || o == "rnorelatime" ||
				o == "rstrictatime" || o == "rnostrictatime" {
				// The atime field is an enum: the kernel requires the whole
				// field in attr_clr; clearing a mode falls back to relatime.
				m.attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
				m.attr.Attr_set &^= unix.MOUNT_ATTR__ATIME
				if !a.clear {
					m.attr.Attr_set |= a.attr
				}
				continue
			}
			if a.clear {
				m.attr.Attr_set &^= a.attr
				m.attr.Attr_clr |= a.attr
			} else {
				m.attr.Attr_set |= a.attr
				m.attr.Attr_clr &^= a.attr
			}
			continue
		}
		switch {
		case o == "idmap" || o == "ridmap":
			// Done by the parent before the init starts (TreeFds).
		case o == "tmpcopyup":
			m.tmpcopyup = true
		case o == "":
			// tolerate "a,,b" style empty entries
		default:
			m.data = append(m.data, o)
		}
	}
	return m, nil
}

func (m mountOpts) dataString() string { return strings.Join(m.data, ",") }

// hasData reports whether the fs data sets key (key=value or bare key).
func (m mountOpts) hasData(key string) bool {
	for _, d := range m.data {
		if k, _, _ := strings.Cut(d, "="); k == key {
			return true
		}
	}
	return false
}

// unlabelled are the filesystems that get no context= from linux.mountLabel,
// as in runc: proc, sysfs and cgroupfs keep the labels their kernel code
// or the policy gives them, and runc relabels mqueue's root instead (which
// hutch does not do).
var unlabelled = map[string]bool{"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "mqueue": true}

// withMountLabel returns the fs data for a new fstype filesystem that hutch
// mounts, with linux.mountLabel added as runc adds it: context="LABEL"
// (quoted: an MCS level holds commas). selinux tells whether the host runs
// SELinux; without it the label is ignored, and so is a label on a mount
// whose own options set context= already (the kernel refuses two).
func withMountLabel(data, label, fstype string, selinux bool) string {
	if !selinux || label == "" || unlabelled[fstype] {
		return data
	}
	for _, d := range strings.Split(data, ",") {
		if k, _, _ := strings.Cut(d, "="); k == "context" {
			return data
		}
	}
	opt := fmt.Sprintf("context=%q", label)
	if data == "" {
		return opt
	}
	return data + "," + opt
}

// isBind reports whether this is a bind mount, whatever type is given.
func isBind(typ string, m mountOpts) bool {
	return m.flags&unix.MS_BIND != 0 || typ == "bind"
}

// ParsePropagation maps linux.rootfsPropagation to mount flags.
func ParsePropagation(p string) (uintptr, error) {
	if p == "" {
		return unix.MS_SLAVE | unix.MS_REC, nil
	}
	f, ok := propOpts[p]
	if !ok {
		return 0, fmt.Errorf("linux.rootfsPropagation: unknown value %q", p)
	}
	return f, nil
}

// MaskData is the data of the read-only tmpfs over masked directories:
// the mount label's context=, when SELinux is on, as runc gives it.
func MaskData(label string, selinux bool) string {
	return withMountLabel("", label, "tmpfs", selinux)
}
