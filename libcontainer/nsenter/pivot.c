// Entering the container's root (create and run): pivot_root in the
// container's own mount namespace; --no-pivot's MS_MOVE and chroot for
// roots pivot_root cannot leave (an initramfs); a chroot in a mount
// namespace that is not the container's own (the caller's, or one joined
// by path), where pivot_root or MS_MOVE would change the root of every
// process in it.
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static void pivot(const char *rootfs) {
  int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old < 0) fail_errno("pivot_root: open old root");
  int new = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (new < 0) fail_errno("pivot_root: open %s", rootfs);
  if (fchdir(new) < 0) fail_errno("pivot_root: chdir %s", rootfs);
  // With new_root == put_old the old root ends up stacked under the new
  // one: no directory inside the container is needed for it.
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail_errno("pivot_root %s", rootfs);
  if (fchdir(old) < 0) fail_errno("pivot_root: chdir old root");
  // The detach below must not propagate to the host's mounts.
  if (mount("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail_errno("pivot_root: make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) fail_errno("pivot_root: detach old root");
  if (chdir("/") < 0) fail_errno("pivot_root: chdir /");
  close(old);
  close(new);
}

static void chroot_into(const char *rootfs) {
  if (chdir(rootfs) < 0) fail_errno("chroot: chdir %s", rootfs);
  if (chroot(".") < 0) fail_errno("chroot %s", rootfs);
  if (chdir("/") < 0) fail_errno("chroot: chdir /");
}

// ---- --no-pivot ----
//
// The rootfs is moved over the old root and entered with chroot. The old
// root stays the namespace's root underneath, and with it every mount the
// namespace was copied with: out of reach by path, not out of the kernel's
// sight. The kernel lets a user namespace mount a fresh proc or sysfs when
// a "fully visible" one (its whole tree, nothing locked over a non-empty
// directory) is in the mount namespace already: the host's /proc there
// would let the container mount a proc without the masked and read-only
// paths. So everything but the old root and the new one is detached; a
// mount that cannot be (locked in a user namespace) is, when it is a full
// proc or sysfs, covered by an empty tmpfs, which stops it counting as
// fully visible. A full proc or sysfs that can be neither is an error.

struct mnt { int id, parent; char *root, *point, *fstype; };

int mount_id_at(int dirfd, const char *path) {
  struct statx stx;
  int flags = AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH);
  if (statx(dirfd, path, flags, STATX_MNT_ID, &stx) < 0) return -1;
  if (!(stx.stx_mask & STATX_MNT_ID)) {
    errno = ENOSYS;
    return -1;
  }
  return (int)stx.stx_mnt_id;
}

// unescape undoes mountinfo's octal escapes (\040 for a space) in place.
static char *unescape(char *s) {
  char *o = s;
  for (char *i = s; *i; i++, o++) {
    if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' && i[3] >= '0' && i[3] <= '7') {
      *o = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
      i += 3;
    } else {
      *o = *i;
    }
  }
  *o = 0;
  return s;
}

// read_mounts lists this process's mounts through the proc handle that is
// the cwd; the caller frees *buf and the array.
static struct mnt *read_mounts(int *n, char **buf) {
  int fd = open("self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("no-pivot: list the old root's mounts");
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap);
  if (!b) _exit(1);
  for (;;) {
    if (len + 1 >= cap && !(b = realloc(b, cap *= 2))) _exit(1);
    ssize_t r = read(fd, b + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail_errno("no-pivot: list the old root's mounts");
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  b[len] = 0;
  struct mnt *v = NULL;
  int k = 0;
  for (char *save = NULL, *line = strtok_r(b, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
    char *f[6], *s2 = NULL, *t = line;
    int i = 0;
    for (; i < 6 && (f[i] = strtok_r(t, " ", &s2)); i++) t = NULL;
    if (i < 6) fail_text("no-pivot: list the old root's mounts: malformed line in mountinfo");
    char *fstype = NULL;
    for (char *x; (x = strtok_r(NULL, " ", &s2));)
      if (!strcmp(x, "-")) {
        fstype = strtok_r(NULL, " ", &s2);
        break;
      }
    if (!fstype) fail_text("no-pivot: list the old root's mounts: malformed line in mountinfo");
    if (!(v = realloc(v, sizeof(*v) * (size_t)(k + 1)))) _exit(1);
    v[k++] = (struct mnt){atoi(f[0]), atoi(f[1]), unescape(f[3]), unescape(f[4]), fstype};
  }
  *n = k;
  *buf = b;
  return v;
}

// open_mount opens m's mount point without following a last symlink and
// returns the handle only if it is m's root: a path hidden under another
// mount, or changed since it was listed, gives -1.
static int open_mount(struct mnt *m) {
  int fd = open(m->point, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return -1;
    fail_errno("no-pivot: open the old root's mount %s", m->point);
  }
  if (mount_id_at(fd, "") != m->id) {
    close(fd);
    return -1;
  }
  return fd;
}

// detach_mount detaches m with everything below it, made slaves first so
// that their removal reaches no peer; 1 if it went. A mount that is locked
// (a user namespace's copy of its owner's) stays.
static int detach_mount(struct mnt *m) {
  int fd = open_mount(m);
  if (fd < 0) return 0;
  char p[64];
  snprintf(p, sizeof(p), "self/fd/%d", fd);
  if (mount("", p, NULL, MS_SLAVE | MS_REC, NULL) < 0)
    fail_errno("no-pivot: make the old root's mount %s a slave", m->point);
  int gone = umount2(p, MNT_DETACH) == 0;
  if (!gone && errno != EINVAL && errno != EPERM) fail_errno("no-pivot: detach the old root's mount %s", m->point);
  close(fd);
  return gone;
}

static int in_new_root(struct mnt *v, int n, int id, int old_root, int new_root) {
  for (int seen = 0; seen <= n; seen++) {
    if (id == new_root) return 1;
    if (id == old_root) return 0;
    int parent = -1;
    for (int i = 0; i < n; i++)
      if (v[i].id == id) parent = v[i].parent;
    if (parent < 0 || parent == id) return 0;
    id = parent;
  }
  return 0;
}

static void clear_old_root(int old_root, int new_root) {
  int n;
  char *buf;
  struct mnt *v;
  // A detach can reveal a mount that was hidden under the detached one:
  // list again until a round detaches nothing.
  for (int detached = 1; detached;) {
    detached = 0;
    v = read_mounts(&n, &buf);
    for (int i = 0; i < n; i++)
      if (v[i].parent == old_root && v[i].id != new_root && v[i].id != old_root) detached |= detach_mount(&v[i]);
    free(v);
    free(buf);
  }
  // What is left of proc and sysfs outside the new root, whole trees of
  // their filesystem, could count as fully visible: covered.
  v = read_mounts(&n, &buf);
  for (int i = 0; i < n; i++) {
    struct mnt *m = &v[i];
    if ((strcmp(m->fstype, "proc") && strcmp(m->fstype, "sysfs")) || strcmp(m->root, "/") ||
        in_new_root(v, n, m->id, old_root, new_root))
      continue;
    int fd = open_mount(m);
    if (fd < 0)
      fail_text("no-pivot: the old root's %s mount on %s can be neither detached nor covered: a user namespace in the "
                "container could mount a %s without the masked paths",
                m->fstype, m->point, m->fstype);
    char p[64];
    snprintf(p, sizeof(p), "self/fd/%d", fd);
    if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
      fail_errno("no-pivot: cover the old root's %s mount on %s", m->fstype, m->point);
    close(fd);
  }
  free(v);
  free(buf);
}

static void move_root(const char *rootfs) {
  int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail_errno("no-pivot: open %s", rootfs);
  // The mounts are found through a handle of this proc: detaching it (it
  // is one of the old root's mounts) leaves the handle working.
  int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) fail_errno("no-pivot: open /proc");
  struct statfs sfs;
  if (fstatfs(proc, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    fail_text("no-pivot: /proc is not a proc filesystem: the old root's mounts cannot be listed");
  int old_root = mount_id_at(AT_FDCWD, "/");
  if (old_root < 0) fail_errno("no-pivot: statx \"/\"");
  int new_root = mount_id_at(root, "");
  if (new_root < 0) fail_errno("no-pivot: statx %s", rootfs);
  // Neither the move nor the detaches may propagate to the old root's
  // peers (the host's "/" with rootfsPropagation shared).
  if (mount("", "/", NULL, MS_PRIVATE, NULL) < 0) fail_errno("no-pivot: make the old root private");
  if (fchdir(root) < 0) fail_errno("no-pivot: chdir %s", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0) fail_errno("no-pivot: move %s to /", rootfs);
  // Until the chroot, "/" still resolves in the old root: its mounts are
  // reachable by their paths.
  if (fchdir(proc) < 0) fail_errno("no-pivot: chdir /proc");
  clear_old_root(old_root, new_root);
  if (fchdir(root) < 0) fail_errno("no-pivot: chdir %s", rootfs);
  if (chroot(".") < 0) fail_errno("no-pivot: chroot");
  if (chdir("/") < 0) fail_errno("no-pivot: chdir /");
  close(proc);
  close(root);
}

void enter_root(char mode, const char *rootfs) {
  switch (mode) {
    case 'p': pivot(rootfs); break;
    case 'm': move_root(rootfs); break;
    case 'c': chroot_into(rootfs); break;
    default: fail_text("hutch init: unknown way to enter the root '%c'", mode);
  }
}
