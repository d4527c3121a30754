// Namespace setup for the container init, and the NUMA memory policy that
// it inherits, run before the Go runtime starts.
// See nsenter.go for why this is C, and docs/process-model.md for the
// protocol. Every failure is reported to the parent as an 'E' message whose
// text names the step, then the process exits.
#include "hutch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

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
  (void)argc;
  (void)argv;
  (void)envp;
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
  int njoin = 0, cloneflags = 0, fork_pid = 0, nmaps_expected = 0, process = 0, nodump = 0;
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
    } else if (strcmp(line, "process") == 0) {
      process = 1;
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
    if (process) run_process();
    return;
  }
  int n = snprintf(buf, sizeof(buf), "%d %ld", getpid(), keyring_id);
  if (send_msg(MSG_PID, buf, (uint32_t)n) < 0) _exit(1);
  if (process) run_process();
}
