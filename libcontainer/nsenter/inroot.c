// Paths inside the container's root, which the image controls: every one is
// resolved as if the root were "/" (absolute symlinks and ".." stay inside
// it; magic links are refused), so that no symlink planted in the image can
// turn a mount, a device or a mask into one on the host (CVE-2021-30465 and
// its kin). Each function returns an fd of what it resolved, for *at(2)
// calls or mount(2) through /proc/self/fd/N: never a path to look up again.
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// in_root_open is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), retried
// when a rename or mount raced with the lookup (EAGAIN). O_CLOEXEC always.
int in_root_open(int root, const char *path, int flags) {
  while (*path == '/') path++;
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  long fd = -1;
  for (int i = 0; i < 32; i++) {
    fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  return (int)fd;
}

// ---- the walk that creates what is missing ----

struct comps { char **v; int n, cap; };

static void comps_push_front(struct comps *c, const char *path) {
  // Split path and put its components before the remaining ones.
  char *dup = strdup(path), *save = NULL;
  if (!dup) _exit(1);
  char *parts[PATH_MAX / 2];
  int k = 0;
  for (char *t = strtok_r(dup, "/", &save); t && k < (int)(sizeof(parts) / sizeof(parts[0])); t = strtok_r(NULL, "/", &save))
    if (strcmp(t, ".")) parts[k++] = t;
  if (c->n + k > c->cap) {
    c->cap = c->n + k + 16;
    if (!(c->v = realloc(c->v, sizeof(char *) * (size_t)c->cap))) _exit(1);
  }
  // c->v is used as a stack: the next component is c->v[c->n - 1].
  for (int i = k - 1; i >= 0; i--) {
    char *s = strdup(parts[i]);
    if (!s) _exit(1);
    c->v[c->n++] = s;
  }
  free(dup);
}

// walk resolves path from root one component at a time, never letting the
// kernel follow a symlink: each one is read and its target spliced into the
// rest, an absolute one starting again at root, ".." never above root.
// Missing directories are made (mode dmode) when mkdirs is set; a missing
// last component is made an empty file (fmode) when create_file is. It
// returns an O_PATH fd, or -1 with errno.
static int walk(int root, const char *path, int mkdirs, mode_t dmode, int create_file, mode_t fmode) {
  struct comps c = {0};
  comps_push_front(&c, path);
  int cap = 64, depth = 0, links = 0, err = 0;
  int *stack = malloc(sizeof(int) * (size_t)cap);
  if (!stack) _exit(1);
  if ((stack[depth++] = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
    err = errno;
    depth = 0;
    goto out;
  }
  while (c.n > 0) {
    char *comp = c.v[--c.n];
    int last = c.n == 0, cur = stack[depth - 1];
    if (!strcmp(comp, "..")) {
      if (depth > 1) close(stack[--depth]);
      free(comp);
      continue;
    }
    int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      int r = 0;
      if (last && create_file) {
        int f = openat(cur, comp, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_CLOEXEC, fmode);
        if (f >= 0) close(f);
        r = f < 0 && errno != EEXIST ? -1 : 0;
      } else if (mkdirs || create_file) {
        r = mkdirat(cur, comp, dmode) < 0 && errno != EEXIST ? -1 : 0;
      } else {
        errno = ENOENT;
        r = -1;
      }
      fd = r < 0 ? -1 : openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
      err = errno;
      if (fd >= 0) close(fd);
      free(comp);
      goto out;
    }
    free(comp);
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX + 1];
      ssize_t n = ++links > 40 ? (errno = ELOOP, -1) : readlinkat(fd, "", target, PATH_MAX);
      close(fd);
      if (n < 0) {
        err = errno;
        goto out;
      }
      target[n] = 0;
      if (target[0] == '/')
        while (depth > 1) close(stack[--depth]);
      comps_push_front(&c, target);
      continue;
    }
    if (!S_ISDIR(st.st_mode) && !last) {
      close(fd);
      err = ENOTDIR;
      goto out;
    }
    if (depth == cap && !(stack = realloc(stack, sizeof(int) * (size_t)(cap *= 2)))) _exit(1);
    stack[depth++] = fd;
  }
out:
  while (c.n > 0) free(c.v[--c.n]);
  free(c.v);
  int top = -1;
  if (!err && depth > 0) top = stack[--depth];
  while (depth > 0) close(stack[--depth]);
  free(stack);
  if (err) errno = err;
  return top;
}

static int is_dir(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

// split_last splits path into a copy holding its parent (*dir, "" for a
// path of one component) and its last component (*name, inside the same
// copy, which the caller frees); NULL when there is no last component to
// act on ("/", ".", "..").
static char *split_last(const char *path, const char **dir, const char **name) {
  char *dup = strdup(path);
  if (!dup) _exit(1);
  size_t n = strlen(dup);
  while (n > 1 && dup[n - 1] == '/') dup[--n] = 0;
  char *slash = strrchr(dup, '/');
  *name = slash ? slash + 1 : dup;
  if (!**name || !strcmp(*name, ".") || !strcmp(*name, "..")) {
    free(dup);
    return NULL;
  }
  if (slash) *slash = 0;
  *dir = slash ? dup : "";
  return dup;
}

// last_in_parent: the common case of a missing last component (a mount
// point on a fresh tmpfs): the parent resolved inside root, the last
// component made there and opened without following it; -1 when that does
// not apply, and the walk does the whole job.
static int last_in_parent(int root, const char *path, int dir, mode_t mode) {
  const char *parent_path, *name;
  char *dup = split_last(path, &parent_path, &name);
  if (!dup) return -1;
  int fd = -1, parent = in_root_open(root, parent_path, O_PATH | O_DIRECTORY);
  if (parent >= 0) {
    int r = dir ? mkdirat(parent, name, mode) : openat(parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_CLOEXEC, mode);
    if (!dir && r >= 0) close(r);
    if (r >= 0 || errno == EEXIST) {
      fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd >= 0 && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
        close(fd);
        fd = -1;
      }
    }
    close(parent);
  }
  free(dup);
  return fd;
}

// in_root_mkdir_all makes every missing directory of path (a dangling
// symlink makes its target, inside root) and returns an O_PATH fd of the
// directory.
int in_root_mkdir_all(int root, const char *path, mode_t mode) {
  int fd = in_root_open(root, path, O_PATH);
  if (fd < 0) fd = last_in_parent(root, path, 1, mode);
  if (fd < 0) fd = walk(root, path, 1, mode, 0, 0);
  if (fd >= 0 && is_dir(fd) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

// in_root_create makes sure path exists, its missing parents made 0755 and
// a missing last component an empty file (mode): the mount point of a bind
// of a file or device. Whatever is there already is kept.
int in_root_create(int root, const char *path, mode_t mode) {
  int fd = in_root_open(root, path, O_PATH);
  if (fd < 0) fd = last_in_parent(root, path, 0, mode);
  if (fd < 0) fd = walk(root, path, 0, 0755, 1, mode);
  return fd;
}

// in_root_parent makes the missing parents of path (dmode) and returns an
// O_PATH fd of the parent, with *name its last component, for the *at(2)
// calls that act on the last component itself (mknodat, symlinkat).
int in_root_parent(int root, const char *path, mode_t dmode, char **name) {
  const char *dir, *last;
  char *dup = split_last(path, &dir, &last);
  if (!dup) {
    errno = EINVAL;
    return -1;
  }
  if (!(*name = strdup(last))) _exit(1);
  int fd = in_root_mkdir_all(root, *dir ? dir : "/", dmode);
  free(dup);
  return fd;
}
