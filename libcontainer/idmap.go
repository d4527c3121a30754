package libcontainer

import (
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/userns"
)

// idmapTrees makes, for every idmapped bind mount (mounts[].uidMappings /
// gidMappings, or the idmap/ridmap options with the container's maps), a
// detached clone of the source with the idmap applied. This happens in the
// caller's namespaces: the kernel wants CAP_SYS_ADMIN in the user namespace
// that owns the source's filesystem, which the container init (inside its
// own user namespace) lacks. It returns the open trees by mount index.
func idmapTrees(s *specs.Spec, bundle string) (map[int]*os.File, error) {
	out := map[int]*os.File{}
	fail := func(err error) (map[int]*os.File, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	for i, m := range s.Mounts {
		idmap, ridmap, rec := false, false, false
		for _, o := range m.Options {
			switch o {
			case "idmap":
				idmap = true
			case "ridmap":
				ridmap = true
			case "rbind":
				rec = true
			}
		}
		uids, gids := m.UIDMappings, m.GIDMappings
		if len(uids) == 0 && len(gids) == 0 {
			if !idmap && !ridmap {
				continue
			}
			if s.Linux == nil || len(s.Linux.UIDMappings) == 0 {
				return fail(fmt.Errorf("mounts[%d] (%s): option idmap without mounts[%d].uidMappings needs the container's linux.uidMappings", i, m.Destination, i))
			}
			uids, gids = s.Linux.UIDMappings, s.Linux.GIDMappings
		}
		f, err := idmapTree(m.Source, bundle, uids, gids, rec, ridmap)
		if err != nil {
			return fail(fmt.Errorf("mounts[%d] (idmapped bind %s on %s): %w", i, m.Source, m.Destination, err))
		}
		out[i] = f
	}
	return out, nil
}

func idmapTree(source, bundle string, uids, gids []specs.LinuxIDMapping, rec, ridmap bool) (*os.File, error) {
	if !filepath.IsAbs(source) {
		source = filepath.Join(bundle, source)
	}
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	if rec {
		flags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(unix.AT_FDCWD, source, uint(flags))
	if err != nil {
		if err == unix.EPERM && os.Geteuid() != 0 {
			return nil, fmt.Errorf("open_tree: %w (an idmapped mount needs CAP_SYS_ADMIN in the user namespace owning the source's mount and filesystem: root only for host filesystems)", err)
		}
		return nil, fmt.Errorf("open_tree: %w", err)
	}
	ns, err := userns.New(uids, gids)
	if err != nil {
		unix.Close(tree)
		return nil, fmt.Errorf("user namespace for the idmap: %w", err)
	}
	defer ns.Close()
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(ns.Fd())}
	at := unix.AT_EMPTY_PATH
	if ridmap {
		at |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(tree, "", uint(at), attr); err != nil {
		unix.Close(tree)
		var sfs unix.Statfs_t
		fs := ""
		if unix.Statfs(source, &sfs) == nil {
			fs = fmt.Sprintf(" (filesystem type %#x)", sfs.Type)
		}
		return nil, fmt.Errorf("the filesystem%s refused the idmap: mount_setattr(MOUNT_ATTR_IDMAP): %w", fs, err)
	}
	return os.NewFile(uintptr(tree), "idmap-"+source), nil
}
