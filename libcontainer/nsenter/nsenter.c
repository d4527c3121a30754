// Namespace setup for the container init, run before the Go runtime starts.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define MAX_JOIN 16

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

static char *recv_msg(char want, uint32_t *lenp) {
  unsigned char hdr[5];
  if (read_full(sync_fd, hdr, 5) < 0) _exit(1);  // parent is gone: nothing to report to
  uint32_t len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
  if ((char)hdr[4] != want || len > (1u << 20)) _exit(1);
  char *buf = calloc(1, len + 1);
  if (!buf || read_full(sync_fd, buf, len) < 0) _exit(1);
  if (lenp) *lenp = len;
  return buf;
}

static void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void bail(const char *fmt, ...) {
  int saved = errno;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
  if (saved) n += snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
  if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
  send_msg(MSG_ERROR, msg, (uint32_t)n);
  _exit(1);
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
  // Worded like the Go init's error, whose errno texts are strerror's
  // in lower case ("no such file or directory": engines match on it).
  char msg[256];
  snprintf(msg, sizeof(msg), "%s", strerror(errno));
  if (msg[0] >= 'A' && msg[0] <= 'Z') msg[0] = (char)(msg[0] - 'A' + 'a');
  fprintf(stderr, "hutch init: exec %s: %s\n", argv[5], msg);
  _exit(1);
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
  int njoin = 0, cloneflags = 0, fork_pid = 0, nmaps_expected = 0;
  char timens[512] = "";
  size_t tlen = 0;

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
    } else if (strcmp(line, "maps") == 0) {
      nmaps_expected = 1;
    } else if (strncmp(line, "timens ", 7) == 0) {
      // "timens monotonic 10 0" -> one line of /proc/self/timens_offsets
      int n = snprintf(timens + tlen, sizeof(timens) - tlen, "%s\n", line + 7);
      if (n > 0 && (size_t)n < sizeof(timens) - tlen) tlen += (size_t)n;
    }
  }
  free(boot);

  // Open every path first: after setns(mnt) the paths may resolve elsewhere.
  for (int i = 0; i < njoin; i++) {
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
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
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

  char buf[32];
  if (fork_pid) {
    // A new or joined pid namespace applies to children only: the child is
    // the container init; this intermediate reports its pid and exits.
    pid_t child = fork();
    if (child < 0) bail("fork into pid namespace");
    if (child > 0) {
      int n = snprintf(buf, sizeof(buf), "%d", child);
      send_msg(MSG_PID, buf, (uint32_t)n);
      _exit(0);
    }
    return;
  }
  int n = snprintf(buf, sizeof(buf), "%d", getpid());
  if (send_msg(MSG_PID, buf, (uint32_t)n) < 0) _exit(1);
}
