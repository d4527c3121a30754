// The container's own set-up that follows pivot_root in a created
// container: hostname, sysctls, the read-only and masked paths, the root's
// read-only flag and propagation, oom_score_adj and process.cwd. The
// process executor (process.c) runs it first when the plan has it (create
// and run, never exec). Every path inside the container is resolved by the
// kernel inside its root, with openat2(RESOLVE_IN_ROOT) and no magic links:
// a symlink in the image cannot point a mask or a read-only bind outside.
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
#define MOUNT_ATTR_NOEXEC 0x8
#endif

// ---- phases (--timings), sent with ready as the Go side encodes them ----

static struct { const char *name; long long ns; } phases[16];
static int nphases, timing_on;
static long long phase_last;

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void phases_start(int on) {
  timing_on = on;
  phase_last = mono_ns();
}

void phase_mark(const char *name) {
  if (!timing_on || nphases >= (int)(sizeof(phases) / sizeof(phases[0]))) return;
  long long now = mono_ns();
  phases[nphases].name = name;
  phases[nphases++].ns = now - phase_last;
  phase_last = now;
}

// phases_json is [{"n":NAME,"d":NANOSECONDS},...] (libcontainer/timing),
// empty when timings are off.
uint32_t phases_json(char *buf, uint32_t cap) {
  if (!timing_on) return 0;
  uint32_t o = 0;
  o += (uint32_t)snprintf(buf + o, cap - o, "[");
  for (int i = 0; i < nphases && o < cap; i++)
    o += (uint32_t)snprintf(buf + o, cap - o, "%s{\"n\":\"%s\",\"d\":%lld}", i ? "," : "", phases[i].name, phases[i].ns);
  if (o < cap) o += (uint32_t)snprintf(buf + o, cap - o, "]");
  return o < cap ? o : 0;
}

// ---- paths inside the root ----

static void fd_path(char *buf, size_t n, int fd) { snprintf(buf, n, "/proc/self/fd/%d", fd); }

// open_in_root opens path inside "/", the container's root by now.
static int open_in_root(const char *path, int flags) {
  static int root = -1;
  if (root < 0 && (root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) return -1;
  return in_root_open(root, path, flags);
}

// remount_bind changes the per-mount flags of the mount whose root fd is:
// flags it has and that were not cleared are kept. In a user namespace
// the kernel refuses (EPERM) to clear a flag locked by a more privileged
// one: then every flag of the mount is kept.
int remount_bind(int fd, unsigned long want, unsigned long cleared) {
  const unsigned long keep = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME;
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) return -1;
  // ST_* and MS_* have the same values for these but relatime.
  unsigned long cur = (unsigned long)sfs.f_flags & (keep | MS_NOATIME | MS_NODIRATIME);
  if (sfs.f_flags & ST_RELATIME) cur |= MS_RELATIME;
  char p[64];
  fd_path(p, sizeof(p), fd);
  if (mount("", p, NULL, MS_BIND | MS_REMOUNT | want | (cur & keep & ~cleared), NULL) == 0) return 0;
  if (errno != EPERM) return -1;
  return mount("", p, NULL, MS_BIND | MS_REMOUNT | (want & ~atime) | cur, NULL);
}

// ---- the steps ----

static void set_names(struct setup *s) {
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    fail_errno("hostname: sethostname \"%s\"", s->hostname);
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    fail_errno("domainname: setdomainname \"%s\"", s->domainname);
}

static int on_procfs(int fd, long *type) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) return -1;
  *type = (long)sfs.f_type;
  return sfs.f_type == PROC_SUPER_MAGIC;
}

// set_sysctls writes each value to /proc/sys/KEY (dots as slashes). The
// files must really be procfs: a rootfs that put a symlink or another
// filesystem there would turn the write into one on any file.
static void set_sysctls(struct setup *s) {
  if (!s->nsysctl) return;
  int dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) fail_errno("linux.sysctl: opening /proc/sys");
  long type = 0;
  int r = on_procfs(dir, &type);
  if (r < 0) fail_errno("linux.sysctl: /proc/sys");
  if (!r) fail_text("linux.sysctl: /proc/sys: not on procfs (filesystem type %#lx)", type);
  for (int i = 0; i < s->nsysctl; i++) {
    char *rel = strdup(s->sysctl[i].key);
    if (!rel) _exit(1);
    for (char *c = rel; *c; c++)
      if (*c == '.') *c = '/';
    struct open_how how = {.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
    // Kernels before 5.6: the key has no "..", so openat stays beneath
    // the directory, and the procfs check below catches mounts.
    if (fd < 0 && errno == ENOSYS) fd = openat(dir, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    const char *key = s->sysctl[i].key, *val = s->sysctl[i].val;
    if (fd < 0) fail_errno("linux.sysctl[\"%s\"]: writing /proc/sys/%s", key, rel);
    if ((r = on_procfs(fd, &type)) < 0) fail_errno("linux.sysctl[\"%s\"]: writing /proc/sys/%s", key, rel);
    if (!r) fail_text("linux.sysctl[\"%s\"]: writing /proc/sys/%s: not on procfs (filesystem type %#lx)", key, rel, type);
    // One write: procfs parses a sysctl value from a single write call.
    ssize_t n = write(fd, val, strlen(val));
    if (n < 0) fail_errno("linux.sysctl[\"%s\"]: writing /proc/sys/%s", key, rel);
    if ((size_t)n != strlen(val))
      fail_text("linux.sysctl[\"%s\"]: writing /proc/sys/%s: short write (%zd of %zu bytes)", key, rel, n, strlen(val));
    close(fd);
    free(rel);
  }
  close(dir);
}

static void readonly_path(struct path_rec *pr) {
  const char *what = "linux.readonlyPaths";
  int f = open_in_root(pr->path, O_PATH);
  if (f < 0) {
    if (errno == ENOENT) return;
    fail_errno("%s[%d] (%s): open", what, pr->idx, pr->path);
  }
  char p[64];
  fd_path(p, sizeof(p), f);
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail_errno("%s[%d] (%s): bind onto itself", what, pr->idx, pr->path);
  close(f);
  int m = open_in_root(pr->path, O_PATH);
  if (m < 0) fail_errno("%s[%d] (%s): open the bind", what, pr->idx, pr->path);
  // Setting (never clearing) attributes is allowed on locked mounts, and
  // AT_RECURSIVE also covers anything mounted below.
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
  int r = (int)syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
  if (r < 0 && errno == ENOSYS) r = remount_bind(m, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  if (r < 0) fail_errno("%s[%d] (%s): remount read-only", what, pr->idx, pr->path);
  close(m);
}

// open_dev_null opens the container's /dev/null and checks that it is the
// null device: masking with anything else would leak or expose data.
static int open_dev_null(struct path_rec *pr) {
  int f = open_in_root("/dev/null", O_PATH);
  if (f < 0) fail_errno("linux.maskedPaths[%d] (%s): open /dev/null", pr->idx, pr->path);
  struct stat st;
  if (fstat(f, &st) < 0) fail_errno("linux.maskedPaths[%d] (%s): fstat /dev/null", pr->idx, pr->path);
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    fail_text("linux.maskedPaths[%d] (%s): /dev/null is not the null device (char 1:3)", pr->idx, pr->path);
  return f;
}

// mask_path covers a directory with an empty read-only tmpfs (one for all
// of them: the others are binds of the first, read-only as its superblock
// is), anything else with /dev/null.
static void mask_path(struct setup *s, struct path_rec *pr, int *dir_mask) {
  const char *what = "linux.maskedPaths";
  int f = open_in_root(pr->path, O_PATH);
  if (f < 0) {
    if (errno == ENOENT) return;
    fail_errno("%s[%d] (%s): open", what, pr->idx, pr->path);
  }
  struct stat st;
  if (fstat(f, &st) < 0) fail_errno("%s[%d] (%s): fstat", what, pr->idx, pr->path);
  char target[64], src[64];
  fd_path(target, sizeof(target), f);
  if (S_ISDIR(st.st_mode)) {
    if (*dir_mask >= 0) {
      fd_path(src, sizeof(src), *dir_mask);
      if (mount(src, target, NULL, MS_BIND, NULL) < 0)
        fail_errno("%s[%d] (%s): bind the masking tmpfs", what, pr->idx, pr->path);
    } else {
      if (mount("tmpfs", target, "tmpfs", MS_RDONLY, s->mask_data) < 0)
        fail_errno("%s[%d] (%s): mount read-only tmpfs", what, pr->idx, pr->path);
      if ((*dir_mask = open_in_root(pr->path, O_PATH | O_DIRECTORY)) < 0)
        fail_errno("%s[%d] (%s): open the masking tmpfs", what, pr->idx, pr->path);
    }
  } else {
    int null = open_dev_null(pr);
    fd_path(src, sizeof(src), null);
    if (mount(src, target, NULL, MS_BIND, NULL) < 0) fail_errno("%s[%d] (%s): bind /dev/null", what, pr->idx, pr->path);
    close(null);
  }
  close(f);
}

static void finish_root(struct setup *s) {
  if (s->root_ro) {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) fail_errno("root.readonly: open /");
    if (remount_bind(root, MS_RDONLY, 0) < 0) fail_errno("root.readonly: remount / read-only");
    close(root);
  }
  if (s->prop_name && mount("", "/", NULL, s->prop_flags, NULL) < 0)
    fail_errno("linux.rootfsPropagation: %s on /", s->prop_name);
}

static void set_oom(struct setup *s) {
  if (!s->has_oom) return;
  char v[32];
  int n = snprintf(v, sizeof(v), "%d", s->oom);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_full(fd, v, (size_t)n) < 0) fail_errno("process.oomScoreAdj: write %s to /proc/self/oom_score_adj", v);
  close(fd);
}

// make_cwd creates process.cwd as runc does, every missing directory 0755.
static void make_cwd(const char *cwd) {
  struct stat st;
  if (stat(cwd, &st) == 0 && S_ISDIR(st.st_mode)) return;
  char *p = strdup(cwd);
  if (!p) _exit(1);
  for (char *c = p + 1;; c++) {
    if (*c != '/' && *c) continue;
    char save = *c;
    *c = 0;
    if (mkdir(p, 0755) < 0 && errno != EEXIST) fail_errno("process.cwd: create %s: mkdir %s", cwd, p);
    *c = save;
    if (!save) break;
  }
  free(p);
}

// start_setup comes first: a session of its own (the container's), and in
// a new network namespace lo up, as runc and crun leave it (it starts down:
// 127.0.0.1 would be unreachable, podman --network none).
void start_setup(struct setup *s) {
  if (s->setsid && setsid() < 0) fail_errno("setsid");
  if (s->lo_up) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("linux.namespaces (network): bring lo up: socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) fail_errno("linux.namespaces (network): bring lo up");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) fail_errno("linux.namespaces (network): bring lo up");
    close(fd);
  }
}

void run_setup(struct setup *s, const char *cwd) {
  set_names(s);
  set_sysctls(s);
  phase_mark("hostname_sysctl");
  for (int i = 0; i < s->nro; i++) readonly_path(&s->ro[i]);
  int dir_mask = -1;
  for (int i = 0; i < s->nmasked; i++) mask_path(s, &s->masked[i], &dir_mask);
  if (dir_mask >= 0) close(dir_mask);
  finish_root(s);
  phase_mark("masked_readonly_paths");
  set_oom(s);
  if (s->mkdir_cwd) make_cwd(cwd);
  phase_mark("process_setup");
}
