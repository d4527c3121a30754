// The mounts of a created container's root, as flat steps that hutch (Go,
// libcontainer/rootfs.MountPlan) decided: each is one operation, and the
// executor only carries them out. What only the container's namespaces can
// tell is found out here, as the step says: whether the kernel lets this
// mount namespace mount a filesystem (an EPERM runs the alternative steps
// that follow, a bind in place of the filesystem), what a bind source or a
// prepared tree is (a directory or a file for the mount point), the mode of
// a directory a tmpfs covers, and where a destination resolves (/proc may
// only get procfs). Every path inside the root is resolved inside it
// (inroot.c); the mount calls act on fds, through /proc/self/fd/N.
#include "hutch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>


struct mstate {
  int root;          // the rootfs, after R
  const char *rootfs;
  int idx;           // the spec entry, for errors
  const char *type, *dest;
  int target;        // the current mount point
  int copy_src;      // tmpcopyup: what the new tmpfs covers
  int covered;       // the mode of the directory a tmpfs covers, -1 none
};

static void fdp(char *buf, size_t n, int fd) { snprintf(buf, n, "/proc/self/fd/%d", fd); }

#define ENTRY_FAIL(st, fmt, ...) \
  fail_errno("mounts[%d] (%s on %s): " fmt, (st)->idx, (st)->type, (st)->dest, ##__VA_ARGS__)

// reopen resolves dest again inside the root: after a mount, the path
// leads to the new mount's root, which the target fd (the mount point
// underneath) does not.
static int reopen(struct mstate *st, const char *dest, int flags) {
  int fd = in_root_open(st->root, dest, flags);
  if (fd < 0) ENTRY_FAIL(st, "reopen mount");
  return fd;
}

// make_parent_private makes the mount that holds path private, so that a
// bind of path does not join a shared peer group (pivot_root refuses a
// new root whose parent mount is shared).
static void make_parent_private(const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("linux.rootfsPropagation: open %s", path);
  int id = mount_id_at(fd, "");
  for (;;) {
    int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (up < 0) fail_errno("linux.rootfsPropagation: the mount holding %s", path);
    struct stat a, b;
    int top = fstat(fd, &a) == 0 && fstat(up, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    if (top || mount_id_at(up, "") != id) {
      close(up);
      break;
    }
    close(fd);
    fd = up;
  }
  char p[64];
  fdp(p, sizeof(p), fd);
  if (mount("", p, NULL, MS_PRIVATE, NULL) < 0) fail_errno("linux.rootfsPropagation: make the mount holding %s private", path);
  close(fd);
}

// check_proc refuses a destination that resolves under /proc unless it is
// proc on /proc, a bind of procfs, or a bind onto one of the listed files
// (overlays such as lxcfs): an image cannot fake /proc, whose files the
// runtime and LSMs write.
static void check_proc(struct mstate *st, char **a, int n) {
  const char *fstype = a[0], *source = a[1];
  char p[64], host[4096];
  fdp(p, sizeof(p), st->target);
  ssize_t k = readlink(p, host, sizeof(host) - 1);
  if (k < 0) ENTRY_FAIL(st, "resolve destination");
  host[k] = 0;
  size_t rl = strlen(st->rootfs);
  while (rl > 1 && st->rootfs[rl - 1] == '/') rl--;
  if (strncmp(host, st->rootfs, rl) || (host[rl] && host[rl] != '/')) return;
  const char *rel = host + rl;
  if (!*rel || (strcmp(rel, "/proc") && strncmp(rel, "/proc/", 6))) return;
  if (!strcmp(fstype, "proc") && !strcmp(rel, "/proc")) return;
  if (!strcmp(fstype, "bind")) {
    struct statfs sfs;
    if (statfs(source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) return;
    for (int i = 2; i < n; i++)
      if (!strcmp(rel, a[i])) return;
  }
  fail_text("mounts[%d] (%s on %s): destination: resolves to %s: only procfs may be mounted there", st->idx, st->type,
            st->dest, rel);
}

// target opens the mount point: d a directory made if missing, e what is
// there (a remount), o an ordinary directory (proc, sysfs: never a
// symlink), s like the bind source, f like the prepared tree (fd).
static void target(struct mstate *st, char **a) {
  char kind = a[0][0];
  const char *dest = a[1];
  if (st->target >= 0) close(st->target);
  int fd = -1;
  mode_t mode = S_IFDIR;
  switch (kind) {
    case 'd': fd = in_root_mkdir_all(st->root, dest, 0755); break;
    case 'e': fd = in_root_open(st->root, dest, O_PATH); break;
    case 'o': {
      fd = in_root_open(st->root, dest, O_PATH | O_NOFOLLOW);
      if (fd < 0 && errno == ENOENT) {
        int d = in_root_mkdir_all(st->root, dest, 0755);
        if (d >= 0) {
          close(d);
          fd = in_root_open(st->root, dest, O_PATH | O_NOFOLLOW);
        }
      }
      struct stat sb;
      if (fd >= 0 && fstat(fd, &sb) == 0 && !S_ISDIR(sb.st_mode))
        fail_text("mounts[%d].destination (%s on %s): %s in the rootfs: filesystem \"%s\" must be mounted on ordinary "
                  "directory",
                  st->idx, st->type, st->dest, S_ISLNK(sb.st_mode) ? "a symlink" : "not a directory", st->type);
      break;
    }
    case 's':
    case 'f': {
      struct stat sb;
      if (kind == 's' && stat(a[2], &sb) < 0) ENTRY_FAIL(st, "bind source %s", a[2]);
      if (kind == 'f' && fstat(atoi(a[2]), &sb) < 0) ENTRY_FAIL(st, "prepared tree of %s", a[3]);
      mode = sb.st_mode;
      fd = S_ISDIR(mode) ? in_root_mkdir_all(st->root, dest, 0755) : in_root_create(st->root, dest, 0644);
      break;
    }
    default: fail_text("hutch init: unknown mount point kind '%c'", kind);
  }
  if (fd < 0) ENTRY_FAIL(st, "mount point");
  st->target = fd;
}

// covered notes the mode of the directory at dest before a tmpfs covers
// it, for its mode= (a fresh tmpfs is 1777: podman's --tmpfs /home would
// open the directory to every user).
static void covered(struct mstate *st, const char *dest) {
  st->covered = -1;
  int fd = in_root_open(st->root, dest, O_PATH);
  if (fd < 0) return;
  struct stat sb;
  if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) st->covered = (int)(sb.st_mode & 07777);
  close(fd);
}

// mount_fs mounts a new filesystem on the target; 1 when the kernel said
// EPERM and the alternative steps are to run.
static int mount_fs(struct mstate *st, char **a) {
  const char *source = a[0], *fstype = a[1], *data = a[3], *hint = a[6];
  unsigned long flags = strtoul(a[2], NULL, 10);
  int alt = atoi(a[5]);
  char buf[4096];
  if (a[4][0] == '1' && st->covered >= 0) {
    snprintf(buf, sizeof(buf), "%s%smode=%o", data, *data ? "," : "", st->covered);
    data = buf;
  }
  char p[64];
  fdp(p, sizeof(p), st->target);
  if (mount(source, p, fstype, flags, *data ? data : NULL) == 0) return 0;
  if (errno == EPERM && alt) return 1;
  if (errno == EPERM && *hint)
    fail_text("mounts[%d] (%s on %s): mount %s%s%s%s: %s %s", st->idx, st->type, st->dest, fstype, *data ? " (data \"" : "",
              data, *data ? "\")" : "", lower_strerror(errno), hint);
  ENTRY_FAIL(st, "mount %s%s%s%s", fstype, *data ? " (data \"" : "", data, *data ? "\")" : "");
}

// ---- tmpcopyup ----

static int copy_dir(int src, int dst);

static int copy_entry(int src, int dst, const char *name) {
  struct stat sb;
  if (fstatat(src, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) return -1;
  mode_t perm = sb.st_mode & 07777;
  if (S_ISDIR(sb.st_mode)) {
    if (mkdirat(dst, name, perm) < 0 && errno != EEXIST) return -1;
    int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0) return -1;
    int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = t < 0 ? -1 : copy_dir(s, t);
    close(s);
    if (t >= 0) close(t);
    if (r < 0) return -1;
  } else if (S_ISREG(sb.st_mode)) {
    int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0) return -1;
    int t = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
    if (t < 0) {
      close(s);
      return -1;
    }
    char b[65536];
    ssize_t n;
    int r = 0;
    while ((n = read(s, b, sizeof(b))) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || write_full(t, b, (size_t)n) < 0) {
        r = -1;
        break;
      }
    }
    close(s);
    close(t);
    if (r < 0) return -1;
  } else if (S_ISLNK(sb.st_mode)) {
    char l[4097];
    ssize_t n = readlinkat(src, name, l, sizeof(l) - 1);
    if (n < 0) return -1;
    l[n] = 0;
    if (symlinkat(l, dst, name) < 0) return -1;
  } else if (mknodat(dst, name, sb.st_mode, sb.st_rdev) < 0) {
    return -1;
  }
  if (fchownat(dst, name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW) < 0) return -1;
  if (!S_ISLNK(sb.st_mode) && fchmodat(dst, name, perm, 0) < 0) return -1;
  return 0;
}

static int copy_dir(int src, int dst) {
  int d = dup(src);
  if (d < 0) return -1;
  DIR *dir = fdopendir(d);
  if (!dir) {
    close(d);
    return -1;
  }
  rewinddir(dir);
  int r = 0;
  for (struct dirent *e; (e = readdir(dir));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if ((r = copy_entry(src, dst, e->d_name)) < 0) break;
  }
  int saved = errno;
  closedir(dir);
  errno = saved;
  return r;
}

// ---- the steps ----

void run_mounts(struct setup *s) {
  struct mstate st = {.root = -1, .idx = -1, .type = "", .dest = "", .target = -1, .copy_src = -1, .covered = -1};
  char p[64];
  for (int i = 0; i < s->nmounts; i++) {
    struct mstep *m = &s->mounts[i];
    char **a = m->a;
    switch (m->op) {
      case 'P':
        if (mount("", "/", NULL, strtoul(a[0], NULL, 10), NULL) < 0)
          fail_errno("linux.rootfsPropagation: set propagation of /");
        break;
      case 'Q': make_parent_private(a[0]); break;
      case 'R':
        // pivot_root needs the new root to be a mount point; in the
        // host's namespace, the bind is what delete detaches.
        st.rootfs = a[0];
        if (mount(a[0], a[0], NULL, MS_BIND | MS_REC, NULL) < 0) fail_errno("root.path: bind %s onto itself", a[0]);
        if ((st.root = open(a[0], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail_errno("root.path: open %s", a[0]);
        break;
      case 'E':
        st.idx = atoi(a[0]);
        st.type = a[1];
        st.dest = a[2];
        if (st.copy_src >= 0) close(st.copy_src);
        st.copy_src = -1;
        break;
      case 't': target(&st, a); break;
      case 'c': check_proc(&st, a, m->n); break;
      case 'C': covered(&st, a[0]); break;
      case 'u': {
        fdp(p, sizeof(p), st.target);
        if ((st.copy_src = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) ENTRY_FAIL(&st, "tmpcopyup");
        break;
      }
      case 'M': {
        int alt = atoi(a[5]);
        if (!mount_fs(&st, a)) i += alt;  // mounted: the alternative is not needed
        break;
      }
      case 'B':
        fdp(p, sizeof(p), st.target);
        if (mount(a[0], p, NULL, MS_BIND | (a[1][0] == '1' ? MS_REC : 0), NULL) < 0) ENTRY_FAIL(&st, "bind %s", a[0]);
        break;
      case 'T': {
        int fd = atoi(a[0]);
        if (syscall(SYS_move_mount, fd, "", st.target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
          ENTRY_FAIL(&st, "move_mount prepared tree of %s", a[1]);
        close(fd);
        break;
      }
      case 'r': {
        int fd = reopen(&st, a[0], O_PATH);
        if (remount_bind(fd, strtoul(a[1], NULL, 10), strtoul(a[2], NULL, 10)) < 0) ENTRY_FAIL(&st, "%s", a[3]);
        close(fd);
        break;
      }
      case 'x': {
        int fd = reopen(&st, a[0], O_PATH);
        fdp(p, sizeof(p), fd);
        if (mount("", p, NULL, strtoul(a[1], NULL, 10) | MS_REMOUNT, *a[2] ? a[2] : NULL) < 0)
          ENTRY_FAIL(&st, "remount read-only");
        close(fd);
        break;
      }
      case 'y': {
        int fd = reopen(&st, a[0], O_RDONLY | O_DIRECTORY);
        if (copy_dir(st.copy_src, fd) < 0) ENTRY_FAIL(&st, "tmpcopyup");
        close(fd);
        break;
      }
      case 'p': {
        int fd = reopen(&st, a[0], O_PATH);
        fdp(p, sizeof(p), fd);
        if (mount("", p, NULL, strtoul(a[1], NULL, 10), NULL) < 0) ENTRY_FAIL(&st, "set propagation");
        close(fd);
        break;
      }
      case 'a': {
        int fd = reopen(&st, a[0], O_PATH);
        struct mount_attr attr = {.attr_set = strtoull(a[1], NULL, 10), .attr_clr = strtoull(a[2], NULL, 10),
                                  .propagation = strtoull(a[3], NULL, 10)};
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
          ENTRY_FAIL(&st, "mount_setattr (recursive options)");
        close(fd);
        break;
      }
      case 'l': {
        int fd = reopen(&st, a[0], O_PATH | O_DIRECTORY);
        if (symlinkat(a[1], fd, a[2]) < 0 && errno != EEXIST) ENTRY_FAIL(&st, "symlink %s", a[2]);
        close(fd);
        break;
      }
      case 'J': i += atoi(a[0]); break;  // past the steps of a mount that was made
      case 'F': fail_text("%s", a[0]);    // an alternative that could not be planned
      default: fail_text("hutch init: unknown mount step '%c'", m->op);
    }
  }
  if (st.target >= 0) close(st.target);
  if (st.copy_src >= 0) close(st.copy_src);
  if (st.root >= 0) close(st.root);
}
