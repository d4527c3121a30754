// Namespace setup for the container init, and the NUMA memory policy that
// it inherits, run before the Go runtime starts.
// See nsenter.go for why this is C, and docs/process-model.md for the
// protocol. Every failure is reported to the parent as an 'E' message whose
// text names the step, then the process exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <link.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MSG_BOOTSTRAP 'B'
#define MSG_MAPS_DONE 'M'
#define MSG_NEED_MAPS 'U'
#define MSG_PID 'P'
#define MSG_ERROR 'E'
#define MSG_EXEC_PLAN 'X'
#define MSG_CONFIG 'C'
#define MSG_EXEC_COMMITTED 'x'

#define MAX_JOIN 16

// keyctl(2), without libkeyutils.
#define HUTCH_KEYCTL_DESCRIBE 6
#define HUTCH_KEYCTL_SETPERM 5
#define HUTCH_KEYCTL_JOIN_SESSION_KEYRING 1
#define HUTCH_KEY_USR_SEARCH 0x00080000u
#define HUTCH_KEY_GRP_SEARCH 0x00000800u
#define HUTCH_KEY_OTH_SEARCH 0x00000008u
// The largest MAX_NUMNODES of a kernel (libcontainer/spec.MaxNUMANodes).
#define MPOL_NODES 1024
#define ULONG_BITS (8 * sizeof(unsigned long))

static int sync_fd = -1;

static int write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

// Frame: 4-byte big-endian payload length, 1 type byte, payload.
static int send_msg(char type, const char *payload, uint32_t len) {
  unsigned char hdr[5] = {len >> 24, len >> 16, len >> 8, len, (unsigned char)type};
  if (write_full(sync_fd, hdr, 5) < 0) return -1;
  return len ? write_full(sync_fd, payload, len) : 0;
}

// recv_header reads a frame's header, which must be of type want, and
// returns its payload length.
static uint32_t recv_header(char want) {
  unsigned char hdr[5];
  if (read_full(sync_fd, hdr, 5) < 0) _exit(1);  // parent is gone: nothing to report to
  if ((char)hdr[4] != want) _exit(1);
  return ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
}

static char *recv_msg(char want, uint32_t *lenp) {
  uint32_t len = recv_header(want);
  if (len > (1u << 20)) _exit(1);
  char *buf = calloc(1, len + 1);
  if (!buf || read_full(sync_fd, buf, len) < 0) _exit(1);
  if (lenp) *lenp = len;
  return buf;
}

// lower_strerror is strerror(e) with a lower-case first letter: the Go
// init's errno texts ("no such file or directory"), which engines match.
static const char *lower_strerror(int e) {
  static char err[256];
  snprintf(err, sizeof(err), "%s", strerror(e));
  if (err[0] >= 'A' && err[0] <= 'Z') err[0] = (char)(err[0] - 'A' + 'a');
  return err;
}

// fail_msg sends the formatted message, then ": " and errtext if set, as
// an 'E' message and exits.
static void fail_msg(const char *errtext, const char *fmt, va_list ap) __attribute__((noreturn));
static void fail_msg(const char *errtext, const char *fmt, va_list ap) {
  char msg[1024];
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
  if (errtext) n += snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", errtext);
  if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
  send_msg(MSG_ERROR, msg, (uint32_t)n);
  _exit(1);
}

static void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void bail(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  fail_msg(saved ? strerror(saved) : NULL, fmt, ap);
}

static int ns_flag(const char *name) {
  static const struct { const char *name; int flag; } t[] = {
      {"user", CLONE_NEWUSER}, {"mount", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
      {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    if (strcmp(t[i].name, name) == 0) return t[i].flag;
  return 0;
}

struct join { int flag; int fd; char name[16]; char path[4096]; };

// parse_nodemask reads "WORD[,WORD...]", 64-bit hex words of nodes (lowest
// first), into the kernel's unsigned long bitmap; 0 on success.
static int parse_nodemask(const char *s, unsigned long *mask) {
  memset(mask, 0, MPOL_NODES / 8);
  for (size_t word = 0;; word++) {
    char *end;
    errno = 0;
    unsigned long long w = strtoull(s, &end, 16);
    if (end == s || errno) return -1;
    for (size_t b = 0; b < 64; b++) {
      if (!((w >> b) & 1)) continue;
      size_t node = word * 64 + b;
      if (node >= MPOL_NODES) return -1;
      mask[node / ULONG_BITS] |= 1UL << (node % ULONG_BITS);
    }
    if (*end == 0) return 0;
    if (*end != ',') return -1;
    s = end + 1;
  }
}

static void die_from_signal(int sig) {
  // Like the Go init this replaces: a signal that would end a process
  // ends the waiting init, even as pid 1 of its namespace (where the
  // kernel ignores default-action signals, hence the _exit).
  sigset_t set;
  signal(sig, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  _exit(2);
}

// drop_readonly_image unmaps, from this process only, the pages of the
// hutch binary's read-only segments that the C library's start-up touched
// (with the kernel's fault-around, about 1 MB of a 6 MB binary): they stay
// in the page cache and fault back in if used, but a container waiting for
// `hutch start` does not keep them. Writable segments are left alone:
// MADV_DONTNEED would discard what was written there.
static int drop_readonly_segments(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  (void)data;
  const ElfW(Phdr) *ph = info->dlpi_phdr;
  uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), rw = UINTPTR_MAX;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if ((ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W)) || ph[i].p_type == PT_GNU_RELRO) {
      uintptr_t a = (info->dlpi_addr + ph[i].p_vaddr) & ~(pg - 1);
      if (a < rw) rw = a;
    }
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_W)) continue;
    uintptr_t a = (info->dlpi_addr + ph[i].p_vaddr) & ~(pg - 1);
    uintptr_t e = (info->dlpi_addr + ph[i].p_vaddr + ph[i].p_memsz + pg - 1) & ~(pg - 1);
    if (a < rw && e > rw) e = rw;  // never a page shared with a writable segment
    if (e > a) madvise((void *)a, e - a, MADV_DONTNEED);
  }
  return 1;  // the first object is the executable itself: done
}

static void drop_readonly_image(void) { dl_iterate_phdr(drop_readonly_segments, NULL); }

// hutch init --exec-wait FIFOFD PATH ARGS...: the container init, with
// everything set up by the Go init (namespaces, rootfs, user, capabilities,
// no_new_privs, rlimits, cwd, fds), which then re-executed the hutch binary
// (the same sealed copy, CVE-2019-5736) to get here. Waiting for `hutch
// start` needs no Go runtime: this is all the created container costs in
// memory. Opening the exec fifo blocks until start opens it for reading;
// the byte tells start we got there, the close-on-exec write end tells it
// (by EOF) that execve happened. The environment is already the process's.
static void exec_wait(char **argv, char **envp) {
  static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
                             SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) signal(sigs[i], die_from_signal);
  int fifo_fd = atoi(argv[3]);
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
  drop_readonly_image();
  int fd;
  do fd = open(path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    fprintf(stderr, "hutch init: open exec fifo: %s\n", strerror(errno));
    _exit(1);
  }
  if (write_full(fd, "0", 1) < 0) {
    fprintf(stderr, "hutch init: write exec fifo: %s\n", strerror(errno));
    _exit(1);
  }
  close(fifo_fd);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) signal(sigs[i], SIG_DFL);
  execve(argv[4], argv + 5, envp);
  // Worded like the Go init's error, and runc's: the line alone.
  fprintf(stderr, "exec %s: %s\n", argv[5], lower_strerror(errno));
  _exit(1);
}


// ---- hutch exec without a Go runtime (see libcontainer/fastexec.go) ----

struct rlim_rec { int idx, res; unsigned long long soft, hard; char type[32]; };

struct plan {
  char **argv, **envp, *cwd;
  int argc, envc, preserve, root_fd;
  struct rlim_rec rl[64];
  int nrl;
  unsigned long uid, gid, umask_;
  gid_t *groups;
  int ngroups;
  int has_caps, last_cap;
  unsigned long long bnd, eff, prm, inh, amb;
  int nnp, has_sc;
  unsigned int sc_flags;
  struct sock_filter *sc_prog;
  unsigned short sc_len;
};

static char *dupn(const char *p, uint32_t n) {
  char *s = malloc(n + 1);
  if (!s) _exit(1);
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

static void push(char ***v, int *n, char *s) {
  *v = realloc(*v, sizeof(char *) * (size_t)(*n + 2));
  if (!*v) _exit(1);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

// parse_plan decodes the records (tag byte, 4-byte big-endian length,
// payload); 0 on success.
static int parse_plan(const char *b, uint32_t len, struct plan *p) {
  memset(p, 0, sizeof(*p));
  p->umask_ = 022;
  uint32_t off = 0;
  while (off + 5 <= len) {
    char tag = b[off];
    const unsigned char *h = (const unsigned char *)b + off + 1;
    uint32_t n = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    const char *v = b + off + 5;
    if (n > len - off - 5) return -1;
    off += 5 + n;
    char *s = dupn(v, n);
    char *end = s;
    switch (tag) {
      case 'A': push(&p->argv, &p->argc, s); continue;
      case 'E': push(&p->envp, &p->envc, s); continue;
      case 'C': p->cwd = s; continue;
      case 'F': p->preserve = atoi(s); break;
      case 'T': p->root_fd = atoi(s); break;
      case 'R': {
        if (p->nrl >= (int)(sizeof(p->rl) / sizeof(p->rl[0]))) return -1;
        struct rlim_rec *r = &p->rl[p->nrl++];
        if (sscanf(s, "%d %d %llu %llu %31s", &r->idx, &r->res, &r->soft, &r->hard, r->type) != 5) return -1;
        break;
      }
      case 'U':
        p->uid = strtoul(s, &end, 10);
        p->gid = strtoul(end, &end, 10);
        p->umask_ = strtoul(end, &end, 10);
        while (*end == ' ') {
          p->groups = realloc(p->groups, sizeof(gid_t) * (size_t)(p->ngroups + 1));
          if (!p->groups) _exit(1);
          p->groups[p->ngroups++] = (gid_t)strtoul(end, &end, 10);
        }
        break;
      case 'K':
        p->has_caps = 1;
        if (sscanf(s, "%d %llu %llu %llu %llu %llu", &p->last_cap, &p->bnd, &p->eff, &p->prm, &p->inh, &p->amb) != 6)
          return -1;
        if (p->last_cap < 0 || p->last_cap > 63) return -1;
        break;
      case 'N': p->nnp = 1; break;
      case 'f': p->sc_flags = (unsigned int)strtoul(s, NULL, 10); break;
      case 'S':
        if (n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > 4096) return -1;
        p->has_sc = 1;
        p->sc_len = (unsigned short)(n / sizeof(struct sock_filter));
        p->sc_prog = (struct sock_filter *)s;
        continue;
      default: return -1;
    }
    free(s);
  }
  return (off == len && p->argc > 0 && p->cwd) ? 0 : -1;
}

// Like the Go init's executable(): stat follows links; a directory or a
// file without any x bit does not count.
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return 0;
  return !S_ISDIR(st.st_mode) && (st.st_mode & 0111);
}

// A PATH entry that filepath.Join would not rewrite, so that the file
// found is the one the Go init would find.
static int clean_dir(const char *d) {
  size_t n = strlen(d);
  if (d[0] != '/' || strstr(d, "//") || strstr(d, "/./") || strstr(d, "/../")) return 0;
  if (n > 1 && d[n - 1] == '/') return 0;
  if ((n >= 2 && strcmp(d + n - 2, "/.") == 0) || (n >= 3 && strcmp(d + n - 3, "/..") == 0)) return 0;
  return 1;
}

// path_env is the process's PATH (the last one, as the Go init takes it),
// or NULL.
static const char *path_env(struct plan *p) {
  const char *path = NULL;
  for (int i = 0; i < p->envc; i++)
    if (strncmp(p->envp[i], "PATH=", 5) == 0) path = p->envp[i] + 5;
  return path;
}

// look_path finds argv[0] as the Go init's lookPath does; NULL leaves the
// process (and the error message) to the Go init.
static char *look_path(struct plan *p) {
  const char *file = p->argv[0];
  if (strchr(file, '/')) return executable(file) ? strdup(file) : NULL;
  const char *path = path_env(p);
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char *copy = strdup(path), *save = NULL;
  if (!copy) return NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    if (!clean_dir(d)) break;  // empty entries vanish in strtok_r: stop at anything unusual
    char *cand = malloc(strlen(d) + strlen(file) + 2);
    if (!cand) break;
    sprintf(cand, "%s%s%s", d, strcmp(d, "/") ? "/" : "", file);
    if (executable(cand)) {
      free(copy);
      return cand;
    }
    free(cand);
  }
  free(copy);
  return NULL;
}

// Empty PATH entries mean "." to Go: strtok_r would skip them.
static int path_has_empty(struct plan *p) {
  const char *path = path_env(p);
  if (!path) return 0;
  size_t n = strlen(path);
  return n == 0 || path[0] == ':' || path[n - 1] == ':' || strstr(path, "::");
}

static int bounding_set(int last, unsigned long long *m) {
  *m = 0;
  for (int c = 0; c <= last; c++) {
    int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (r < 0) return -1;
    if (r == 1) *m |= 1ULL << c;
  }
  return 0;
}

// drain_msg reads and drops one message of type want, whatever its size.
static void drain_msg(char want) {
  char buf[4096];
  uint32_t len = recv_header(want);
  while (len > 0) {
    uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
    if (read_full(sync_fd, buf, n) < 0) _exit(1);
    len -= n;
  }
}

static int cap_get(unsigned long long *prm) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) return -1;
  *prm = (unsigned long long)d[0].permitted | ((unsigned long long)d[1].permitted << 32);
  return 0;
}

// Error texts as the Go init words them: errno strings in lower case.
static void fx_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fx_fail(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  fail_msg(lower_strerror(saved), fmt, ap);
}

static void install_filter(struct plan *p) {
  struct sock_fprog prog = {p->sc_len, p->sc_prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->sc_flags, &prog) < 0)
    fx_fail("linux.seccomp: seccomp: installing the filter (flags %#x)", p->sc_flags);
}

// fast_exec reads the plan and, unless something needs the Go init's
// judgement, sets the process up exactly as initproc's runExec and
// finalizeProcess do, in their order, and execs. It returns only to leave
// the process to the Go init, having changed nothing that init does not
// set again (root, cwd).
static void fast_exec(void) {
  uint32_t len = 0;
  char *buf = recv_msg(MSG_EXEC_PLAN, &len);
  struct plan p;
  if (parse_plan(buf, len, &p) < 0) return;

  // Checks: nothing below may change what the Go init would find.
  if (p.root_fd > 0 && (fchdir(p.root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)) return;
  if (chdir(p.cwd) < 0) return;
  char wd[4096];
  if (!getcwd(wd, sizeof(wd)) || wd[0] != '/') return;
  if (path_has_empty(&p)) return;
  char *path = look_path(&p);
  if (!path) return;
  for (int i = 0; i < p.nrl; i++) {
    struct rlimit cur;
    if (getrlimit(p.rl[i].res, &cur) < 0 || p.rl[i].hard > cur.rlim_max || p.rl[i].soft > p.rl[i].hard) return;
  }
  unsigned long long host_bnd = 0;
  if (p.has_caps) {
    unsigned long long prm;
    if (bounding_set(p.last_cap, &host_bnd) < 0 || (p.bnd & ~host_bnd)) return;
    if (cap_get(&prm) < 0) return;
    unsigned long long amb = p.amb & p.prm & p.inh, reach = prm & p.bnd;
    if ((p.prm & ~prm) || (p.eff & ~prm) || (p.inh & ~reach) || (amb & ~reach)) return;
  }

  // Committed: from here a failure is the exec's error. The Config that
  // followed the plan is not needed; read it all the same, because closing
  // the socket on unread data makes the parent's read fail (ECONNRESET)
  // instead of seeing EOF.
  drain_msg(MSG_CONFIG);
  if (send_msg(MSG_EXEC_COMMITTED, NULL, 0) < 0) _exit(1);
  for (int i = 0; i < p.nrl; i++) {
    struct rlimit r = {p.rl[i].soft, p.rl[i].hard};
    if (setrlimit(p.rl[i].res, &r) < 0)
      fx_fail("process.rlimits[%d] (%s): setting soft=%llu hard=%llu", p.rl[i].idx, p.rl[i].type, p.rl[i].soft,
              p.rl[i].hard);
  }
  if (syscall(SYS_close_range, 3 + p.preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fx_fail("close_range");
  // Without no_new_privs a filter needs CAP_SYS_ADMIN: load it while held.
  if (!p.nnp && p.has_sc) install_filter(&p);
  if (p.has_caps) {
    for (int c = 0; c <= p.last_cap; c++)
      if (!(p.bnd & (1ULL << c)) && (host_bnd & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        fx_fail("process.capabilities.bounding: dropping capability %d", c);
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fx_fail("prctl(PR_SET_KEEPCAPS)");
  if (setgroups((size_t)p.ngroups, p.groups) < 0 && !(errno == EPERM && p.ngroups == 0)) {
    char list[512] = "";
    size_t o = 0;
    for (int i = 0; i < p.ngroups && o < sizeof(list) - 16; i++)
      o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", i ? " " : "", (unsigned)p.groups[i]);
    fx_fail("process.user.additionalGids: setgroups [%s]", list);
  }
  if (setresgid(p.gid, p.gid, p.gid) < 0) fx_fail("process.user.gid: setresgid %lu", p.gid);
  if (setresuid(p.uid, p.uid, p.uid) < 0) fx_fail("process.user.uid: setresuid %lu", p.uid);
  if (p.has_caps) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)p.eff, (uint32_t)p.prm, (uint32_t)p.inh},
        {(uint32_t)(p.eff >> 32), (uint32_t)(p.prm >> 32), (uint32_t)(p.inh >> 32)},
    };
    if (syscall(SYS_capset, &h, d) < 0) fx_fail("process.capabilities: capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fx_fail("process.capabilities.ambient: clearing");
    unsigned long long amb = p.amb & p.prm & p.inh;
    for (int c = 0; c < 64; c++)
      if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        fx_fail("process.capabilities.ambient: raising capability %d", c);
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fx_fail("prctl(PR_SET_KEEPCAPS)");
  umask((mode_t)p.umask_);
  if (p.nnp) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fx_fail("process.noNewPrivileges");
    // As late as possible: only execve follows.
    if (p.has_sc) install_filter(&p);
  }
  execve(path, p.argv, p.envp ? p.envp : (char *[]){NULL});
  fx_fail("exec %s", p.argv[0]);
}

// join_keyring gives the process a session keyring of its own instead of
// the caller's (the engine's keys), as runc does: "_ses.<id>", which the
// container's exec'd processes join by name. The init (want == 0) makes it
// searchable by its owner so that they can; an exec (want = the init's
// serial) keeps it only if it is the init's one. A keyring of that name
// that somebody else made joinable first is never shared: then a new
// anonymous one. Returns the serial, or 0 where the kernel has no keys.
static long join_keyring(const char *name, long want) {
  long id = syscall(SYS_keyctl, HUTCH_KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (id < 0 && errno == ENOSYS) return 0;
  if (id < 0) bail("session keyring %s: join", name);
  if (want) {
    if (id == want) return id;
  } else {
    char d[512];
    unsigned uid = 0, gid = 0, perm = 0;
    long n = syscall(SYS_keyctl, HUTCH_KEYCTL_DESCRIBE, id, d, sizeof(d) - 1, 0);
    if (n < 0) bail("session keyring %s: describe", name);
    d[n < (long)sizeof(d) ? n : (long)sizeof(d) - 1] = 0;
    if (sscanf(d, "keyring;%u;%u;%x;", &uid, &gid, &perm) != 3) bail("session keyring %s: describe gave %s", name, d);
    if (uid == geteuid() && !(perm & (HUTCH_KEY_USR_SEARCH | HUTCH_KEY_GRP_SEARCH | HUTCH_KEY_OTH_SEARCH))) {
      if (syscall(SYS_keyctl, HUTCH_KEYCTL_SETPERM, id, perm | HUTCH_KEY_USR_SEARCH, 0, 0) < 0)
        bail("session keyring %s: setperm", name);
      return id;
    }
  }
  id = syscall(SYS_keyctl, HUTCH_KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
  if (id < 0) bail("session keyring: join a new anonymous one");
  return id;
}

void hutch_nsenter(int argc, char **argv, char **envp) {
  if (argc >= 6 && strcmp(argv[1], "init") == 0 && strcmp(argv[2], "--exec-wait") == 0) exec_wait(argv, envp);
  // A bare user namespace that hutch holds open while it takes a handle on
  // it (idmapped mounts): the parent writes the maps, then closes our stdin.
  if (getenv("_HUTCH_USERNS_HOLD")) {
    char c;
    for (;;) {
      ssize_t n = read(0, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
    }
    _exit(0);
  }
  const char *env = getenv("_HUTCH_INITPIPE");
  if (!env) return;
  sync_fd = atoi(env);
  if (sync_fd <= 2) return;

  // No PR_SET_PDEATHSIG: the init outlives `hutch create` by design. If the
  // parent dies during setup, the next read on the socket sees EOF and exits.
  uint32_t len = 0;
  char *boot = recv_msg(MSG_BOOTSTRAP, &len);

  struct join joins[MAX_JOIN];
  int njoin = 0, cloneflags = 0, fork_pid = 0, nmaps_expected = 0, fastexec = 0, nodump = 0;
  char timens[512] = "";
  size_t tlen = 0;
  char keyring[1100] = ""; // "_ses." and an id of up to 1024 characters
  long keyring_want = 0, keyring_id = 0;
  int mpol = 0;
  long mpol_mode = 0;
  unsigned long mpol_flags = 0, mpol_mask[MPOL_NODES / ULONG_BITS];
  char mpol_words[512] = "";

  for (char *save = NULL, *line = strtok_r(boot, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "join ", 5) == 0) {
      if (njoin >= MAX_JOIN) bail("nsenter: too many namespaces to join");
      struct join *j = &joins[njoin];
      char *sp = strchr(line + 5, ' ');
      if (!sp) bail("nsenter: malformed join line");
      *sp = 0;
      snprintf(j->name, sizeof(j->name), "%s", line + 5);
      snprintf(j->path, sizeof(j->path), "%s", sp + 1);
      j->flag = ns_flag(j->name);
      if (!j->flag) bail("nsenter: unknown namespace type %s", j->name);
      njoin++;
    } else if (strncmp(line, "clone ", 6) == 0) {
      cloneflags = (int)strtol(line + 6, NULL, 0);
    } else if (strcmp(line, "fork") == 0) {
      fork_pid = 1;
    } else if (strcmp(line, "fastexec") == 0) {
      fastexec = 1;
    } else if (strcmp(line, "nodump") == 0) {
      nodump = 1;
    } else if (strcmp(line, "maps") == 0) {
      nmaps_expected = 1;
    } else if (strncmp(line, "keyring ", 8) == 0) {
      // "keyring NAME [SERIAL]": SERIAL is the init's, for an exec
      if (sscanf(line + 8, "%1099s %ld", keyring, &keyring_want) < 1) bail("nsenter: malformed keyring line");
    } else if (strncmp(line, "timens ", 7) == 0) {
      // "timens monotonic 10 0" -> one line of /proc/self/timens_offsets
      int n = snprintf(timens + tlen, sizeof(timens) - tlen, "%s\n", line + 7);
      if (n > 0 && (size_t)n < sizeof(timens) - tlen) tlen += (size_t)n;
    } else if (strncmp(line, "mempolicy ", 10) == 0) {
      // "mempolicy MODE FLAGS WORD[,WORD...]" (libcontainer's writeMempolicy)
      char *end;
      mpol_mode = strtol(line + 10, &end, 0);
      if (*end == ' ') mpol_flags = strtoul(end + 1, &end, 0);
      if (*end != ' ' || parse_nodemask(end + 1, mpol_mask) < 0) {
        errno = 0;
        bail("nsenter: malformed mempolicy line");
      }
      snprintf(mpol_words, sizeof(mpol_words), "%s", end + 1);
      mpol = 1;
    }
  }
  free(boot);

  // Open every path first: after setns(mnt) the paths may resolve elsewhere.
  // "@N" is a namespace the parent opened and passed as fd N (and checked).
  for (int i = 0; i < njoin; i++) {
    if (joins[i].path[0] == '@') {
      char *end;
      long n = strtol(joins[i].path + 1, &end, 10);
      if (*end || n < 3 || n > 1 << 20) bail("nsenter: malformed join fd %s", joins[i].path);
      joins[i].fd = (int)n;
      continue;
    }
    joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
    if (joins[i].fd < 0) bail("join %s namespace: open %s", joins[i].name, joins[i].path);
  }
  // User namespace first: it gives the capabilities needed for the others.
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < njoin; i++) {
      int is_user = joins[i].flag == CLONE_NEWUSER;
      if ((pass == 0) != is_user) continue;
      if (setns(joins[i].fd, joins[i].flag) < 0)
        bail("join %s namespace: setns %s", joins[i].name, joins[i].path);
      close(joins[i].fd);
      if (is_user) {
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
          bail("join user namespace %s: become root", joins[i].path);
        // The uid change left us undumpable, and /proc/self owned by the
        // host's root: a create's init writes there (oom_score_adj), so
        // it is made dumpable again. An exec stays undumpable (nodump):
        // no process of the container can ptrace it while it still has
        // the caller's root and fds (CVE-2016-9962).
        if (!nodump) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      }
    }
  }

  if (cloneflags & CLONE_NEWUSER) {
    if (unshare(CLONE_NEWUSER) < 0) bail("unshare user namespace");
    // Only the parent may write our maps (directly or via newuidmap); make
    // sure it can open /proc/<pid>/uid_map even when we are not dumpable.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (nmaps_expected) {
      if (send_msg(MSG_NEED_MAPS, NULL, 0) < 0) _exit(1);
      free(recv_msg(MSG_MAPS_DONE, NULL));
    }
    // Root inside only if 0 is mapped; otherwise keep the ids we have.
    if (setresgid(0, 0, 0) == 0) setgroups(0, NULL);
    setresuid(0, 0, 0);
    // Changing ids cleared the dumpable flag, which would leave /proc/self
    // owned by the host's root and unwritable (timens_offsets, setgroups).
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  }

  int rest = cloneflags & ~CLONE_NEWUSER;
  if (rest && unshare(rest) < 0) bail("unshare namespaces (flags %#x)", rest);

  if (tlen > 0) {
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_full(fd, timens, tlen) < 0) bail("write /proc/self/timens_offsets (linux.timeOffsets)");
    close(fd);
  }

  // linux.memoryPolicy: inherited by the fork below and kept across every
  // execve, so the container init, or the exec'd process, runs with it.
  // maxnode is one more than the mask's bits: the kernel counts one less.
  if (mpol && syscall(SYS_set_mempolicy, mpol_mode | (long)mpol_flags, mpol_mask, (unsigned long)MPOL_NODES + 1) < 0)
    bail("linux.memoryPolicy: set_mempolicy(mode %ld, flags %#lx, node mask %s)", mpol_mode, mpol_flags, mpol_words);

  // After the user namespace (its root owns the keyring) and before the
  // fork: the child inherits the session keyring.
  if (keyring[0]) keyring_id = join_keyring(keyring, keyring_want);

  char buf[48];
  if (fork_pid) {
    // A new or joined pid namespace applies to children only: the child is
    // the container init; this intermediate reports its pid and exits.
    // CLONE_PARENT: the init is hutch's own child, not this
    // intermediate's, so `run` and `exec` wait for it directly, subreaper
    // or not (run --no-subreaper). A raw clone without a new stack returns
    // twice like fork; nothing here needs the C library's fork handlers.
    pid_t child = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
    if (child < 0) bail("fork into pid namespace");
    if (child > 0) {
      int n = snprintf(buf, sizeof(buf), "%d %ld", child, keyring_id);
      send_msg(MSG_PID, buf, (uint32_t)n);
      _exit(0);
    }
    if (fastexec) fast_exec();
    return;
  }
  int n = snprintf(buf, sizeof(buf), "%d %ld", getpid(), keyring_id);
  if (send_msg(MSG_PID, buf, (uint32_t)n) < 0) _exit(1);
  if (fastexec) fast_exec();
}
