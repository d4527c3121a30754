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

// keyctl(2), without libkeyutils.
#define HUTCH_KEYCTL_DESCRIBE 6
#define HUTCH_KEYCTL_SETPERM 5
#define HUTCH_KEYCTL_JOIN_SESSION_KEYRING 1
#define HUTCH_KEY_USR_SEARCH 0x00080000u
#define HUTCH_KEY_GRP_SEARCH 0x00000800u
#define HUTCH_KEY_OTH_SEARCH 0x00000008u

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

  struct boot b;
  if (parse_bootstrap(boot, len, &b) < 0) {
    errno = 0;
    bail("nsenter: malformed bootstrap plan");
  }
  struct join *joins = b.joins;
  int njoin = b.njoin, cloneflags = b.cloneflags, fork_pid = b.fork, nmaps_expected = b.maps, process = b.process,
      nodump = b.nodump;
  long keyring_id = 0;

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
  // With cgroup_wait the parent moves us into the container's cgroup (v1
  // hierarchies, a systemd scope) while we make the namespaces. A cgroup
  // namespace is rooted at our cgroup when it is made, and the fork below
  // puts the init where we are: both wait for the move.
  int cgroupns = b.cgroup_wait ? rest & CLONE_NEWCGROUP : 0;
  rest &= ~cgroupns;
  if (rest && unshare(rest) < 0) bail("unshare namespaces (flags %#x)", rest);
  if (b.cgroup_wait) {
    free(recv_msg(MSG_CGROUP_DONE, NULL));
    if (cgroupns && unshare(CLONE_NEWCGROUP) < 0) bail("unshare cgroup namespace");
  }

  if (b.tlen > 0) {
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_full(fd, b.timens, b.tlen) < 0) bail("write /proc/self/timens_offsets (linux.timeOffsets)");
    close(fd);
  }

  // linux.memoryPolicy: inherited by the fork below and kept across every
  // execve, so the container init, or the exec'd process, runs with it.
  // maxnode is one more than the mask's bits: the kernel counts one less.
  if (b.mpol &&
      syscall(SYS_set_mempolicy, b.mpol_mode | (long)b.mpol_flags, b.mpol_mask, (unsigned long)MPOL_NODES + 1) < 0)
    bail("linux.memoryPolicy: set_mempolicy(mode %ld, flags %#lx, node mask %s)", b.mpol_mode, b.mpol_flags,
         b.mpol_words);

  // After the user namespace (its root owns the keyring) and before the
  // fork: the child inherits the session keyring.
  if (b.keyring[0]) keyring_id = join_keyring(b.keyring, b.keyring_want);

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
