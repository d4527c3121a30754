// The process executor: the only code that sets up a container process and
// calls execve, for create, run and exec alike. hutch (Go, the parent)
// decides everything and sends it as a process plan (libcontainer/plan);
// this carries it out without interpreting the spec. Its order is runc's:
// the attributes that need privileges, the LSM labels, a filter without
// no_new_privs, the privilege drop, then (create) ready and the wait for
// `hutch start`, a filter with no_new_privs, the startContainer hooks
// under the process's credentials and filter, execve.
//
// Errors go back to the parent as 'E' messages worded with the config
// field; after ready (nobody reads the socket any more) to stderr, one
// line as runc writes it.
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

// sched_setattr(2)'s argument (no C library wraps it).
struct sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

struct rlim_rec { int idx, res; unsigned long long soft, hard; char type[32]; };

struct hook {
  long timeout;  // seconds, 0: none
  char *path, **argv, **envp;
  int argc, envc;
};

struct affinity { int set; cpu_set_t mask; char *list; };

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
  char *capnames[64];
  int nnp, has_sc;
  unsigned int sc_flags;
  struct sock_filter *sc_prog;
  unsigned short sc_len;
  int notify_fd;
  char *notify_msg;
  uint32_t notify_len;
  struct affinity aff_initial, aff_final;
  int has_personality;
  unsigned long personality;
  int has_ioprio;
  int ioprio;
  int has_sched;
  struct sched_attr sched;
  char sched_name[32];
  char *apparmor, *selinux;
  int tty_fd, tty_has_size;
  unsigned long tty_uid;
  unsigned short rows, cols;
  int fifo_fd;
  struct hook hooks[64], chooks[64];  // startContainer, createContainer
  int nhooks, nchooks;
  char root_mode, *rootfs;  // enter_root's
  char *hook_state;
  uint32_t hook_state_len;
  struct setup setup;
  int timings;
};

// grow returns v with room for element i, where v holds elements 0..i-1
// from earlier calls with i counting up by one: the capacity doubles, so
// a plan of a few hundred records costs a few reallocs, not one each
// (which walked the init's heap over fresh pages, a fault each).
static void *grow(void *v, int i, size_t size) {
  if (v && (i < 8 || (i & (i - 1)))) return v;
  if (!(v = realloc(v, (i < 8 ? 8 : 2 * (size_t)i) * size))) _exit(1);
  return v;
}

static void push(char ***v, int *n, char *s) {
  *v = grow(*v, *n + 1, sizeof(char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

// parse_hook reads "TIMEOUT\0PATH\0NARGS\0ARG...\0ENV...\0".
static int parse_hook(const char *s, uint32_t n, struct hook *h) {
  memset(h, 0, sizeof(*h));
  if (n == 0 || s[n - 1]) return -1;
  char *items[4096];
  int k = 0;
  for (uint32_t o = 0; o < n && k < 4096; o += (uint32_t)strlen(s + o) + 1) items[k++] = (char *)s + o;
  if (k < 3) return -1;
  h->timeout = strtol(items[0], NULL, 10);
  h->path = items[1];
  int nargs = atoi(items[2]);
  if (nargs < 0 || 3 + nargs > k) return -1;
  for (int i = 0; i < nargs; i++) push(&h->argv, &h->argc, items[3 + i]);
  for (int i = 3 + nargs; i < k; i++) push(&h->envp, &h->envc, items[i]);
  return 0;
}

// parse_affinity reads the mask, then the list as the config wrote it
// (for errors), which parse_plan NUL-terminated with the payload.
static int parse_affinity(char *s, uint32_t n, struct affinity *a) {
  if (n < sizeof(cpu_set_t)) return -1;
  a->set = 1;
  memcpy(&a->mask, s, sizeof(cpu_set_t));
  a->list = s + sizeof(cpu_set_t);
  return 0;
}

// parse_pair splits "A\0B" (a record's payload, NUL-terminated by parse_plan).
static int parse_pair(char *s, uint32_t n, char **a, char **b) {
  size_t k = strlen(s);
  if (k >= n) return -1;
  *a = s;
  *b = s + k + 1;
  return 0;
}

static int push_path(struct path_rec **v, int *n, char *s, uint32_t len) {
  char *idx, *path;
  if (parse_pair(s, len, &idx, &path) < 0) return -1;
  *v = grow(*v, *n, sizeof(**v));
  (*v)[*n].idx = atoi(idx);
  (*v)[(*n)++].path = path;
  return 0;
}

// parse_plan decodes the records (tag byte, 4-byte big-endian length,
// payload: libcontainer/plan) in place: b[len] must be writable. Each
// payload is NUL-terminated where the next record's tag was, read first,
// so the plan's strings point into b and no payload is copied.
static int parse_plan(char *b, uint32_t len, struct plan *p) {
  memset(p, 0, sizeof(*p));
  p->umask_ = 022;
  p->root_fd = p->notify_fd = p->tty_fd = p->fifo_fd = -1;
  uint32_t off = 0;
  char tag = len ? b[0] : 0;
  while (off + 5 <= len) {
    const unsigned char *h = (const unsigned char *)b + off + 1;
    uint32_t n = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    if (n > len - off - 5) return -1;
    char kind = tag;
    char *s = b + off + 5, *end = s;
    off += 5 + n;
    tag = off < len ? b[off] : 0;
    s[n] = 0;
    switch (kind) {
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
          p->groups = grow(p->groups, p->ngroups, sizeof(gid_t));
          p->groups[p->ngroups++] = (gid_t)strtoul(end, &end, 10);
        }
        break;
      case 'K':
        p->has_caps = 1;
        if (sscanf(s, "%d %llu %llu %llu %llu %llu", &p->last_cap, &p->bnd, &p->eff, &p->prm, &p->inh, &p->amb) != 6)
          return -1;
        if (p->last_cap < 0 || p->last_cap > 63) return -1;
        break;
      case 'k': {  // capability names, NUL-separated, from 0 on
        int c = 0;
        for (uint32_t o = 0; o < n && c < 64; o += (uint32_t)strlen(s + o) + 1) p->capnames[c++] = s + o;
        continue;
      }
      case 'N': p->nnp = 1; break;
      case 'f': p->sc_flags = (unsigned int)strtoul(s, NULL, 10); break;
      case 'S':
        if (n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > 4096) return -1;
        p->has_sc = 1;
        p->sc_len = (unsigned short)(n / sizeof(struct sock_filter));
        // Its own buffer: a payload in the message is not aligned.
        if (!(p->sc_prog = malloc(n))) _exit(1);
        memcpy(p->sc_prog, s, n);
        continue;
      case 'Q': p->notify_fd = atoi(s); break;
      case 'q': p->notify_msg = s; p->notify_len = n; continue;
      case 'i': if (parse_affinity(s, n, &p->aff_initial) < 0) return -1; break;
      case 'j': if (parse_affinity(s, n, &p->aff_final) < 0) return -1; break;
      case 'P': p->has_personality = 1; p->personality = strtoul(s, NULL, 10); break;
      case 'O': p->has_ioprio = 1; p->ioprio = atoi(s); break;
      case 'D': {
        unsigned int policy;
        unsigned long long flags, runtime, deadline, period;
        int nice;
        unsigned int prio;
        if (sscanf(s, "%u %llu %d %u %llu %llu %llu %31s", &policy, &flags, &nice, &prio, &runtime, &deadline, &period,
                   p->sched_name) != 8)
          return -1;
        p->has_sched = 1;
        p->sched.size = sizeof(p->sched);
        p->sched.sched_policy = policy;
        p->sched.sched_flags = flags;
        p->sched.sched_nice = nice;
        p->sched.sched_priority = prio;
        p->sched.sched_runtime = runtime;
        p->sched.sched_deadline = deadline;
        p->sched.sched_period = period;
        break;
      }
      case 'a': p->apparmor = s; continue;
      case 'l': p->selinux = s; continue;
      case 'Y': {
        unsigned int rows = 0, cols = 0;
        if (sscanf(s, "%d %lu %d %u %u", &p->tty_fd, &p->tty_uid, &p->tty_has_size, &rows, &cols) != 5) return -1;
        p->rows = (unsigned short)rows;
        p->cols = (unsigned short)cols;
        break;
      }
      case 'W': p->fifo_fd = atoi(s); break;
      case 'H':
        if (p->nhooks >= 64 || parse_hook(s, n, &p->hooks[p->nhooks]) < 0) return -1;
        p->nhooks++;
        continue;
      case 'G':
        if (p->nchooks >= 64 || parse_hook(s, n, &p->chooks[p->nchooks]) < 0) return -1;
        p->nchooks++;
        continue;
      case 'v': {
        char *mode;
        if (parse_pair(s, n, &mode, &p->rootfs) < 0 || strlen(mode) != 1) return -1;
        p->root_mode = mode[0];
        continue;
      }
      case 'Z': p->hook_state = s; p->hook_state_len = n; continue;
      // The set-up of a created container (setup.c).
      case 'h': p->setup.present = 1; p->setup.hostname = s; continue;
      case 'd': p->setup.present = 1; p->setup.domainname = s; continue;
      case 'y': {
        struct setup *u = &p->setup;
        u->present = 1;
        u->sysctl = grow(u->sysctl, u->nsysctl, sizeof(*u->sysctl));
        if (parse_pair(s, n, &u->sysctl[u->nsysctl].key, &u->sysctl[u->nsysctl].val) < 0) return -1;
        u->nsysctl++;
        continue;
      }
      case 'o': p->setup.present = 1; if (push_path(&p->setup.ro, &p->setup.nro, s, n) < 0) return -1; continue;
      case 'x': p->setup.present = 1; if (push_path(&p->setup.masked, &p->setup.nmasked, s, n) < 0) return -1; continue;
      case 'M': p->setup.mask_data = s; continue;
      case 'r': p->setup.present = p->setup.root_ro = 1; break;
      case 'p': {
        char *name;
        p->setup.present = 1;
        p->setup.prop_flags = strtoul(s, &name, 10);
        if (*name != ' ') return -1;
        p->setup.prop_name = name + 1;
        continue;
      }
      case 'g': p->setup.present = p->setup.has_oom = 1; p->setup.oom = atoi(s); break;
      case 'c': p->setup.present = p->setup.mkdir_cwd = 1; break;
      case 't': p->timings = 1; break;
      case 's': p->setup.present = p->setup.setsid = 1; break;
      case 'b': p->setup.present = p->setup.lo_up = 1; break;
      case 'w': p->setup.present = p->setup.hooks = 1; break;
      case 'm': {
        struct setup *u = &p->setup;
        if (n == 0) return -1;
        u->mounts = grow(u->mounts, u->nmounts, sizeof(*u->mounts));
        struct mstep *m = &u->mounts[u->nmounts++];
        m->op = s[0];
        m->n = 0;
        // "OP\0ARG\0ARG..." (the last without its NUL: parse_plan added it)
        int nargs = 0;
        for (uint32_t o = 1; o < n; o += (uint32_t)strlen(s + o + 1) + 1) {
          if (s[o]) return -1;
          nargs++;
        }
        if (!(m->a = malloc(sizeof(char *) * (size_t)(nargs + 8)))) _exit(1);
        for (uint32_t o = 1; o < n; o += (uint32_t)strlen(s + o + 1) + 1) m->a[m->n++] = s + o + 1;
        for (int k = 0; k < 8; k++) m->a[m->n + k] = "";
        p->setup.present = 1;
        continue;
      }
      case 'n': {
        struct setup *u = &p->setup;
        char *label, *rest, *path, *nums;
        if (parse_pair(s, n, &label, &rest) < 0) return -1;
        uint32_t used = (uint32_t)(rest - s);
        if (parse_pair(rest, n - used, &path, &nums) < 0) return -1;
        u->dev = grow(u->dev, u->ndev, sizeof(*u->dev));
        struct device *d = &u->dev[u->ndev++];
        d->label = label;
        d->path = path;
        if (sscanf(nums, "%u %u %u %ld %ld %d", &d->mode, &d->major, &d->minor, &d->uid, &d->gid, &d->bind) != 6) return -1;
        continue;
      }
      case 'L': {
        struct setup *u = &p->setup;
        u->links = grow(u->links, u->nlinks, sizeof(*u->links));
        if (parse_pair(s, n, &u->links[u->nlinks].key, &u->links[u->nlinks].val) < 0) return -1;
        u->nlinks++;
        continue;
      }
      case 'V': p->setup.has_dev = 1; p->setup.ptmx = s[0] == '1'; break;
      default: return -1;
    }
  }
  if (p->setup.has_dev && !p->rootfs) return -1;
  return (off == len && p->argc > 0 && p->cwd) ? 0 : -1;
}

// ---- the executable, found as execvp(3) finds it ----

// executable: 0 if path is a file with an x bit, else an errno (a
// directory, or a file without any x bit: EACCES).
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) return EACCES;
  return 0;
}

// look_path finds argv[0] with the process's PATH (the last one in env;
// an empty entry is the cwd), and words the failure as runc does (Go's
// os/exec): engines map "executable file not found" and "no such file" to
// 127 and "permission denied" to 126.
static char *look_path(struct plan *p) {
  const char *file = p->argv[0];
  if (strchr(file, '/')) {
    int e = executable(file);
    if (e) fail_text("exec: \"%s\": %s", file, lower_strerror(e));
    return strdup(file);
  }
  const char *path = NULL;
  for (int i = 0; i < p->envc; i++)
    if (strncmp(p->envp[i], "PATH=", 5) == 0) path = p->envp[i] + 5;
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int denied = 0;
  for (const char *d = path;; d++) {
    const char *e = strchr(d, ':');
    size_t dn = e ? (size_t)(e - d) : strlen(d);
    char *cand = malloc(dn + strlen(file) + 3);
    if (!cand) _exit(1);
    if (dn == 0)
      sprintf(cand, "./%s", file);
    else
      sprintf(cand, "%.*s%s%s", (int)dn, d, d[dn - 1] == '/' ? "" : "/", file);
    int err = executable(cand);
    if (err == 0) return cand;
    if (err == EACCES) denied = 1;
    free(cand);
    if (!e) break;
    d = e;
  }
  if (denied) fail_text("exec: \"%s\": permission denied", file);
  fail_text("exec: \"%s\": executable file not found in $PATH", file);
}

// ---- the terminal ----

// fd_msg is a message of len bytes of data with fd as SCM_RIGHTS, in cbuf
// (CMSG_SPACE(sizeof(int)) bytes): the console socket's format, as go-runc
// and conmon read it, and the seccomp agent's.
struct fd_msg {
  struct iovec iov;
  struct msghdr mh;
  char cbuf[CMSG_SPACE(sizeof(int))];
};

static void fd_msg_init(struct fd_msg *m, const void *data, size_t len, int fd) {
  memset(m, 0, sizeof(*m));
  m->iov.iov_base = (void *)data;
  m->iov.iov_len = len;
  m->mh.msg_iov = &m->iov;
  m->mh.msg_iovlen = 1;
  m->mh.msg_control = m->cbuf;
  m->mh.msg_controllen = sizeof(m->cbuf);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m->mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

// send_fd sends fd over sock as one message with name as its data.
static int send_fd(int sock, const char *name, int fd) {
  struct fd_msg m;
  fd_msg_init(&m, name, strlen(name), fd);
  ssize_t r;
  do r = sendmsg(sock, &m.mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

// setup_terminal makes a pty in the container's devpts, sends the master
// to the console socket connection, and makes the slave, owned by
// process.user.uid, the process's stdio and controlling terminal.
static void setup_terminal(struct plan *p) {
  if (getsid(0) != getpid() && setsid() < 0) fail_errno("setsid");
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) fail_errno("process.terminal: open /dev/ptmx");
  int zero = 0;
  if (ioctl(m, TIOCSPTLCK, &zero) < 0) fail_errno("process.terminal: unlockpt /dev/ptmx");
  unsigned int n;
  if (ioctl(m, TIOCGPTN, &n) < 0) fail_errno("process.terminal: ptsname /dev/ptmx");
  char name[64];
  snprintf(name, sizeof(name), "/dev/pts/%u", n);
  // The peer ioctl cannot be redirected by a process that swaps
  // /dev/pts/N between ptsname and open.
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) fail_errno("process.terminal: TIOCGPTPEER on /dev/ptmx");
  if (fchown(s, (uid_t)p->tty_uid, (gid_t)-1) < 0)
    fail_errno("process.terminal: chown the pty to process.user.uid %lu", p->tty_uid);
  if (send_fd(p->tty_fd, "/dev/ptmx", m) < 0) fail_errno("--console-socket: console socket: send pty master");
  close(m);
  close(p->tty_fd);
  if (p->tty_has_size) {
    struct winsize ws = {.ws_row = p->rows, .ws_col = p->cols};
    if (ioctl(s, TIOCSWINSZ, &ws) < 0) fail_errno("process.consoleSize: TIOCSWINSZ on %s", name);
  }
  // arg 0: do not steal a terminal that is another session's.
  if (ioctl(s, TIOCSCTTY, 0) < 0) fail_errno("console: make %s the controlling terminal (TIOCSCTTY)", name);
  for (int t = 0; t <= 2; t++) {
    int r;
    do r = dup3(s, t, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) fail_errno("console: dup %s onto fd %d", name, t);
  }
  if (s > 2) close(s);
}

// ---- seccomp ----

static void filter_fail(int e, unsigned int flags) __attribute__((noreturn));
static void filter_fail(int e, unsigned int flags) {
  if (e == EACCES)
    fail_text("linux.seccomp: seccomp: installing the filter: %s (no_new_privs is not set and the process lacks CAP_SYS_ADMIN)",
              lower_strerror(e));
  if (e == EBUSY)
    fail_text("linux.seccomp: seccomp: SCMP_ACT_NOTIFY: the process already has a filter with a notify listener: %s",
              lower_strerror(e));
  fail_text("linux.seccomp: seccomp: installing the filter (flags %#x): %s", flags, lower_strerror(e));
}

// load_filter loads linux.seccomp on this thread. With a notify listener,
// the window from loading the filter until its fd has reached the agent
// holds two raw syscalls with every signal blocked, nothing else: a
// syscall the profile notifies would wait there for an agent that cannot
// answer yet (runc issue 4328). The profile may not notify sendmsg or
// write (libcontainer/seccomp's notifyForbidden).
static void load_filter(struct plan *p) {
  struct sock_fprog prog = {p->sc_len, p->sc_prog};
  if (p->notify_fd < 0) {
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->sc_flags, &prog) < 0) filter_fail(errno, p->sc_flags);
    return;
  }
  // Built before the window; the listener's fd goes in once it exists.
  struct fd_msg m;
  fd_msg_init(&m, p->notify_msg, p->notify_len, -1);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.mh);
  uint64_t all = ~0ULL, old = 0;
  long sent = -1, listener;
  int install_err = 0, send_err = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
  listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->sc_flags, &prog);
  if (listener < 0) {
    install_err = errno;
  } else {
    int lfd = (int)listener;
    memcpy(CMSG_DATA(c), &lfd, sizeof(int));
    do sent = syscall(SYS_sendmsg, p->notify_fd, &m.mh, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) send_err = errno;
  }
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
  if (install_err) filter_fail(install_err, p->sc_flags);
  if (send_err)
    fail_text("linux.seccomp.listenerPath: sending the notify fd: %s (the filter is loaded with nobody to answer it: a "
              "notified syscall of this process waits until it is killed)",
              lower_strerror(send_err));
  // The rest of the state (write is never notified), then the listener's
  // close, which the agent answers if notified.
  if (write_full(p->notify_fd, p->notify_msg + sent, p->notify_len - (size_t)sent) < 0)
    fail_errno("linux.seccomp.listenerPath: sending the container state");
  close((int)listener);
  close(p->notify_fd);
}

// ---- capabilities and the user ----

static int bounding_set(int last, unsigned long long *m) {
  *m = 0;
  for (int c = 0; c <= last; c++) {
    int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (r < 0) return -1;
    if (r == 1) *m |= 1ULL << c;
  }
  return 0;
}

static const char *cap_name(struct plan *p, unsigned long long miss) {
  static char buf[32];
  int c = __builtin_ctzll(miss);
  if (c < 64 && p->capnames[c]) return p->capnames[c];
  snprintf(buf, sizeof(buf), "capability %d", c);
  return buf;
}

static void cap_get(unsigned long long *eff, unsigned long long *prm, unsigned long long *inh) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) fail_errno("process.capabilities: reading current capabilities");
  *eff = (unsigned long long)d[0].effective | ((unsigned long long)d[1].effective << 32);
  *prm = (unsigned long long)d[0].permitted | ((unsigned long long)d[1].permitted << 32);
  *inh = (unsigned long long)d[0].inheritable | ((unsigned long long)d[1].inheritable << 32);
}

// drop_privileges: the bounding set, groups, gid, uid (keeping the
// permitted set across the switch), capabilities, ambient set, umask.
static void drop_privileges(struct plan *p) {
  unsigned long long host_bnd = 0;
  if (p->has_caps) {
    if (bounding_set(p->last_cap, &host_bnd) < 0) fail_errno("process.capabilities.bounding: reading");
    if (p->bnd & ~host_bnd)
      fail_text("process.capabilities.bounding: %s is not available on this host", cap_name(p, p->bnd & ~host_bnd));
    for (int c = 0; c <= p->last_cap; c++)
      if (!(p->bnd & (1ULL << c)) && (host_bnd & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        fail_errno("process.capabilities.bounding: dropping %s", cap_name(p, 1ULL << c));
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_KEEPCAPS)");
  if (setgroups((size_t)p->ngroups, p->groups) < 0 && !(errno == EPERM && p->ngroups == 0)) {
    char list[512] = "";
    size_t o = 0;
    for (int i = 0; i < p->ngroups && o < sizeof(list) - 16; i++)
      o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", i ? " " : "", (unsigned)p->groups[i]);
    fail_errno("process.user.additionalGids: setgroups [%s]", list);
  }
  if (setresgid(p->gid, p->gid, p->gid) < 0) fail_errno("process.user.gid: setresgid %lu", p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0) fail_errno("process.user.uid: setresuid %lu", p->uid);
  if (p->has_caps) {
    unsigned long long eff, prm, inh;
    cap_get(&eff, &prm, &inh);
    unsigned long long amb = p->amb & p->prm & p->inh;
    int setpcap = (eff >> CAP_SETPCAP) & 1;
    struct { const char *field; unsigned long long want, have; } chk[] = {
        {"process.capabilities.permitted", p->prm, prm},
        {"process.capabilities.effective", p->eff, prm},
        {"process.capabilities.inheritable", p->inh, (prm | inh | (setpcap ? ~0ULL : 0)) & p->bnd},
        {"process.capabilities.ambient", amb, prm & p->bnd},
    };
    for (size_t i = 0; i < sizeof(chk) / sizeof(chk[0]); i++)
      if (chk[i].want & ~chk[i].have)
        fail_text("%s: %s is not available on this host", chk[i].field, cap_name(p, chk[i].want & ~chk[i].have));
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)p->eff, (uint32_t)p->prm, (uint32_t)p->inh},
        {(uint32_t)(p->eff >> 32), (uint32_t)(p->prm >> 32), (uint32_t)(p->inh >> 32)},
    };
    if (syscall(SYS_capset, &h, d) < 0)
      fail_errno("process.capabilities: capset(effective=%#llx permitted=%#llx inheritable=%#llx)", p->eff, p->prm, p->inh);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail_errno("process.capabilities.ambient: clearing");
    for (int c = 0; c < 64; c++)
      if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        fail_errno("process.capabilities.ambient: raising %s", cap_name(p, 1ULL << c));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_KEEPCAPS)");
  umask((mode_t)p->umask_);
}

// ---- the LSM labels ----

static int write_attr(const char *const *paths, const char *value) {
  int err = ENOENT;
  for (; *paths; paths++) {
    int fd = open(*paths, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int r = write_full(fd, value, strlen(value));
    err = r < 0 ? errno : 0;
    close(fd);
    return err;
  }
  return err;
}

static void apply_lsm(struct plan *p) {
  if (p->apparmor) {
    static const char *const paths[] = {"/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", NULL};
    char *v = malloc(strlen(p->apparmor) + 6);
    if (!v) _exit(1);
    sprintf(v, "exec %s", p->apparmor);
    int e = write_attr(paths, v);
    if (e) fail_text("process.apparmorProfile: \"%s\": %s", p->apparmor, lower_strerror(e));
  }
  if (p->selinux) {
    static const char *const paths[] = {"/proc/thread-self/attr/exec", NULL};
    int e = write_attr(paths, p->selinux);
    if (e) fail_text("process.selinuxLabel: \"%s\": %s", p->selinux, lower_strerror(e));
  }
}

static void set_affinity(struct affinity *a, const char *field) {
  if (a->set && sched_setaffinity(0, sizeof(a->mask), &a->mask) < 0)
    fail_errno("%s: sched_setaffinity(%s)", field, a->list);
}

// ---- the createContainer and startContainer hooks ----

#define HOOK_TAIL 4096

struct tail { char b[HOOK_TAIL]; size_t n; };

static void tail_add(struct tail *t, const char *p, size_t n) {
  if (n >= HOOK_TAIL) {
    memcpy(t->b, p + n - HOOK_TAIL, HOOK_TAIL);
    t->n = HOOK_TAIL;
    return;
  }
  if (t->n + n > HOOK_TAIL) {
    size_t drop = t->n + n - HOOK_TAIL;
    memmove(t->b, t->b + drop, t->n - drop);
    t->n -= drop;
  }
  memcpy(t->b + t->n, p, n);
  t->n += n;
}

// tail_lines: the last 5 non-empty lines, trimmed, joined by "; ".
static void tail_lines(struct tail *t, char *out, size_t cap) {
  char buf[HOOK_TAIL + 1];
  memcpy(buf, t->b, t->n);
  buf[t->n] = 0;
  char *lines[HOOK_TAIL];
  int k = 0;
  for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    while (*l == ' ' || *l == '\t' || *l == '\r') l++;
    size_t n = strlen(l);
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r')) l[--n] = 0;
    if (n) lines[k++] = l;
  }
  out[0] = 0;
  size_t o = 0;
  for (int i = k > 5 ? k - 5 : 0; i < k && o < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "; " : "", lines[i]);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// run_hook runs one hook with the state on its stdin, in a process group
// of its own (a timeout kills what it started too), and fails with
// hooks.KIND[I] (PATH) and runc's words.
static void run_hook(struct plan *p, const char *kind, struct hook *h, int i) {
  char name[4200];
  snprintf(name, sizeof(name), "hooks.%s[%d] (%s): error running %s hook #%d", kind, i, h->path, kind, i);
  int in[2], out[2], err[2], ex[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0)
    fail_errno("%s: pipe", name);
  pid_t pid = fork();
  if (pid < 0) fail_errno("%s: fork", name);
  if (pid == 0) {
    setpgid(0, 0);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(127);
    // A hook gets its stdio and nothing else of the init's: not the
    // socket, the fifo, the console or agent connections, the prepared
    // trees, the preserved fds (close-on-exec: ex[1] reports a failed
    // execve).
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) _exit(127);
    char *dflt[] = {h->path, NULL}, *noenv[] = {NULL};
    execve(h->path, h->argv ? h->argv : dflt, h->envp ? h->envp : noenv);
    int e = errno;
    write_full(ex[1], &e, sizeof(e));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  close(ex[1]);
  int e = 0;
  if (read_full(ex[0], &e, sizeof(e)) == 0) {
    waitpid(pid, NULL, 0);
    fail_text("%s: fork/exec %s: %s", name, h->path, lower_strerror(e));
  }
  close(ex[0]);
  // The state is small (well under a pipe's buffer); a hook that does not
  // read it gets EPIPE here, not a signal (MSG_NOSIGNAL is for sockets).
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigaction(SIGPIPE, &ign, &old);
  write_full(in[1], p->hook_state, p->hook_state_len);
  close(in[1]);
  sigaction(SIGPIPE, &old, NULL);

  struct tail to = {{0}, 0}, te = {{0}, 0};
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  long long deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000 : -1, grace = -1;
  int status = 0, exited = 0, timed_out = 0, open_out = 1, open_err = 1;
  while (!exited || open_out || open_err) {
    struct pollfd fds[3] = {{open_out ? out[0] : -1, POLLIN, 0}, {open_err ? err[0] : -1, POLLIN, 0},
                            {exited ? -1 : pidfd, POLLIN, 0}};
    long long limit = exited ? grace : deadline;
    int wait = -1;
    if (limit >= 0) {
      long long left = limit - now_ms();
      wait = left < 0 ? 0 : (int)left;
    } else if (pidfd < 0 && !exited) {
      wait = 10;  // no pidfd: poll for the exit
    }
    int r = poll(fds, 3, wait);
    if (r < 0 && errno != EINTR) break;
    char buf[4096];
    for (int k = 0; k < 2; k++) {
      if (r > 0 && fds[k].revents) {
        ssize_t n = read(fds[k].fd, buf, sizeof(buf));
        if (n > 0)
          tail_add(k ? &te : &to, buf, (size_t)n);
        else if (n == 0 || errno != EINTR)
          *(k ? &open_err : &open_out) = 0;
      }
    }
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
      exited = 1;
      // Something the hook started may hold its output open: 2 s more.
      grace = now_ms() + 2000;
    }
    if (!exited && deadline >= 0 && now_ms() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = timed_out = 1;
      grace = now_ms() + 2000;
    }
    if (exited && now_ms() >= grace) break;
  }
  if (pidfd >= 0) close(pidfd);
  close(out[0]);
  close(err[0]);
  if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  char why[64], lines[HOOK_TAIL + 64];
  if (timed_out)
    snprintf(why, sizeof(why), "timed out after %lds, killed", h->timeout);
  else if (WIFEXITED(status))
    snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
  else {
    snprintf(why, sizeof(why), "signal: %s", strsignal(WTERMSIG(status)));
    if (why[8] >= 'A' && why[8] <= 'Z') why[8] = (char)(why[8] - 'A' + 'a');
  }
  tail_lines(&te, lines, sizeof(lines));
  if (!lines[0]) tail_lines(&to, lines, sizeof(lines));
  if (lines[0]) fail_text("%s: %s: %s", name, why, lines);
  fail_text("%s: %s", name, why);
}

// ---- waiting for `hutch start` ----

static void die_from_signal(int sig) {
  // A signal that would end a process ends the waiting init, even as pid 1
  // of its namespace (where the kernel ignores default-action signals).
  sigset_t set;
  signal(sig, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  _exit(2);
}

// wait_start: opening the exec fifo blocks until `hutch start` opens it
// for reading; the byte tells start we got there, the close-on-exec write
// end tells it (by EOF) that execve happened.
static void wait_start(struct plan *p) {
  static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
                             SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) signal(sigs[i], die_from_signal);
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", p->fifo_fd);
  int fd;
  do fd = open(path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail_errno("open exec fifo");
  if (write_full(fd, "0", 1) < 0) fail_errno("write exec fifo");
  close(p->fifo_fd);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) signal(sigs[i], SIG_DFL);
}

void run_process(void) {
  uint32_t len = 0;
  char *buf = recv_msg(MSG_PROCESS_PLAN, &len);
  struct plan p;
  if (parse_plan(buf, len, &p) < 0) fail_text("hutch init: malformed process plan");
  phases_start(p.timings);
  // A created container: its session and lo, /dev, its createContainer
  // hooks in its namespaces, its root, its own set-up.
  start_setup(&p.setup);
  if (p.setup.nmounts) {
    run_mounts(&p.setup);
    phase_mark("mounts");
  }
  if (p.setup.has_dev) {
    make_dev(&p.setup, p.rootfs);
    phase_mark("devices");
  }
  if (p.setup.hooks) {
    // The environment exists: the parent runs the prestart and
    // createRuntime hooks now, before the createContainer ones.
    if (send_msg(MSG_HOOKS, NULL, 0) < 0) _exit(1);
    free(recv_msg(MSG_HOOKS_DONE, NULL));
    phase_mark("wait_hooks");
  }
  if (p.nchooks) {
    for (int i = 0; i < p.nchooks; i++) run_hook(&p, "createContainer", &p.chooks[i], i);
    phase_mark("create_container_hooks");
  }
  if (p.root_mode) {
    enter_root(p.root_mode, p.rootfs);
    phase_mark("pivot_root");
  }
  if (p.setup.present) run_setup(&p.setup, p.cwd);
  if (p.root_fd >= 0) {
    if (fchdir(p.root_fd) < 0) fail_errno("enter the container's root: fchdir");
    if (chroot(".") < 0) fail_errno("enter the container's root: chroot");
    if (chdir("/") < 0) fail_errno("enter the container's root: chdir /");
    close(p.root_fd);
  }
  set_affinity(&p.aff_initial, "process.execCPUAffinity.initial");
  if (p.tty_fd >= 0) setup_terminal(&p);
  for (int i = 0; i < p.nrl; i++) {
    struct rlimit r = {p.rl[i].soft, p.rl[i].hard}, cur;
    if (setrlimit(p.rl[i].res, &r) == 0) continue;
    int e = errno;
    if (e == EPERM && getrlimit(p.rl[i].res, &cur) == 0 && p.rl[i].hard > cur.rlim_max)
      fail_text("process.rlimits[%d] (%s): setting soft=%llu hard=%llu: %s (current hard limit is %llu; raising a hard "
                "limit needs CAP_SYS_RESOURCE%s)",
                p.rl[i].idx, p.rl[i].type, p.rl[i].soft, p.rl[i].hard, lower_strerror(e),
                (unsigned long long)cur.rlim_max, p.rl[i].res == RLIMIT_NOFILE ? " and may not exceed fs.nr_open" : "");
    fail_text("process.rlimits[%d] (%s): setting soft=%llu hard=%llu: %s", p.rl[i].idx, p.rl[i].type, p.rl[i].soft,
              p.rl[i].hard, lower_strerror(e));
  }
  if (chdir(p.cwd) < 0) fail_errno("process.cwd: chdir to %s", p.cwd);
  // A cwd reached through a leaked host fd would show as "(unreachable)".
  char wd[4096];
  if (!getcwd(wd, sizeof(wd)) || wd[0] != '/') fail_text("process.cwd: %s resolves outside the container root", p.cwd);
  char *path = look_path(&p);
  // Nothing from the host reaches the process (CVE-2024-21626): every fd
  // above the preserved ones is close-on-exec (the socket, fifo and agent
  // connection are closed before, or by, the execve).
  if (syscall(SYS_close_range, 3 + p.preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail_errno("close_range");
  if (p.has_personality && syscall(SYS_personality, p.personality) < 0) fail_errno("linux.personality");
  if (p.has_ioprio && syscall(SYS_ioprio_set, 1, 0, p.ioprio) < 0) fail_errno("process.ioPriority: ioprio_set");
  if (p.has_sched && syscall(SYS_sched_setattr, 0, &p.sched, 0) < 0)
    fail_errno("process.scheduler: sched_setattr(policy %s)", p.sched_name);
  set_affinity(&p.aff_final, "process.execCPUAffinity.final");
  // The LSM attributes take effect at execve; writing them needs the
  // privileges held here.
  apply_lsm(&p);
  // Without no_new_privs a filter needs CAP_SYS_ADMIN: load it while held
  // (the profile must then allow the syscalls up to execve, as with runc).
  if (!p.nnp && p.has_sc) load_filter(&p);
  drop_privileges(&p);
  if (p.nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_errno("process.noNewPrivileges");
  if (p.fifo_fd >= 0) {
    // Everything that can fail before the wait is done: create reports it.
    phase_mark("process_attributes");
    static char ph[4096];
    if (send_msg(MSG_READY, ph, phases_json(ph, sizeof(ph))) < 0) _exit(1);
    close(sync_fd);
    sync_fd = -1;
    wait_start(&p);
  }
  // As late as possible: only the hooks and execve follow.
  if (p.nnp && p.has_sc) load_filter(&p);
  // Forked from here, the hooks run as the process will: its user,
  // capabilities and filter (runc 1.5 runs them so).
  for (int i = 0; i < p.nhooks; i++) run_hook(&p, "startContainer", &p.hooks[i], i);
  execve(path, p.argv, p.envp ? p.envp : (char *[]){NULL});
  // Worded like runc's error: the line alone.
  fail_errno("exec %s", p.argv[0]);
}
