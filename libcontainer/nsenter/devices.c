// /dev of a created container, made once its mounts are and before its
// createContainer hooks: the device nodes (the default ones the parent did
// not find configured, then linux.devices), the conventional symlinks,
// /dev/ptmx of the container's devpts, /dev/shm. In a user namespace mknod
// is impossible: the host's node is bind-mounted instead (the parent
// decides which, per node).
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void bind_device(int root, struct device *d) {
  struct stat st;
  if (stat(d->path, &st) < 0) fail_errno("%s: host node for bind mount", d->label);
  int t = in_root_create(root, d->path, 0);
  if (t < 0) fail_errno("%s: mount point %s", d->label, d->path);
  char p[64];
  snprintf(p, sizeof(p), "/proc/self/fd/%d", t);
  if (mount(d->path, p, NULL, MS_BIND, NULL) < 0) fail_errno("%s: bind %s", d->label, d->path);
  close(t);
}

static void make_node(int root, struct device *d) {
  if (d->bind) {
    bind_device(root, d);
    return;
  }
  char *name;
  int dir = in_root_parent(root, d->path, 0755, &name);
  if (dir < 0) fail_errno("%s: %s", d->label, d->path);
  // Whatever the image has there (a regular file or a symlink planted in
  // place of /dev/null, say) is replaced.
  if (unlinkat(dir, name, 0) < 0 && errno != ENOENT) fail_errno("%s: remove existing %s", d->label, d->path);
  if (mknodat(dir, name, d->mode, makedev(d->major, d->minor)) < 0) fail_errno("%s: mknod", d->label);
  if ((d->uid >= 0 || d->gid >= 0) && fchownat(dir, name, (uid_t)d->uid, (gid_t)d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    fail_errno("%s: chown", d->label);
  free(name);
  close(dir);
}

void make_dev(struct setup *s, const char *rootfs) {
  int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail_errno("root.path: open %s", rootfs);
  // Device modes exactly as configured.
  mode_t old = umask(0);
  for (int i = 0; i < s->ndev; i++) make_node(root, &s->dev[i]);
  int dev = in_root_mkdir_all(root, "/dev", 0755);
  if (dev < 0) fail_errno("/dev");
  for (int i = 0; i < s->nlinks; i++)
    if (symlinkat(s->links[i].key, dev, s->links[i].val) < 0 && errno != EEXIST)
      fail_errno("symlink /dev/%s -> %s", s->links[i].val, s->links[i].key);
  if (s->ptmx) {
    // The devpts instance's own ptmx must be used, not a host-wide node.
    if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT) fail_errno("remove /dev/ptmx");
    if (symlinkat("pts/ptmx", dev, "ptmx") < 0) fail_errno("symlink /dev/ptmx -> pts/ptmx");
  }
  if (mkdirat(dev, "shm", 01777) < 0 && errno != EEXIST) fail_errno("mkdir /dev/shm");
  umask(old);
  close(dev);
  close(root);
}
