// Shared by the C half of hutch: the namespace set-up (nsenter.c), the
// process executor (process.c) and the message framing (sync.c). See
// docs/process-model.md.
#ifndef HUTCH_H
#define HUTCH_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#define MSG_BOOTSTRAP 'B'
#define MSG_MAPS_DONE 'M'
#define MSG_CGROUP_DONE 'G'
#define MSG_NEED_MAPS 'U'
#define MSG_PID 'P'
#define MSG_ERROR 'E'
#define MSG_PROCESS_PLAN 'X'
#define MSG_READY 'R'
#define MSG_HOOKS 'H'
#define MSG_HOOKS_DONE 'h'

// The largest message the C side reads (libcontainer/plan.MaxMessage).
#define MAX_MSG (16u << 20)

extern int sync_fd;

int write_full(int fd, const void *buf, size_t n);
int read_full(int fd, void *buf, size_t n);
int send_msg(char type, const char *payload, uint32_t len);
char *recv_msg(char want, uint32_t *lenp);
const char *lower_strerror(int e);
// bail reports "TEXT: strerror(errno)" as an 'E' message and exits;
// fail_errno the same with the errno text in lower case (Go's wording).
void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fail_errno(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fail_text(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// Newer than some C library headers.
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

// mount_id_at is the mount id (as mountinfo lists it) of path at dirfd, of
// dirfd itself with path ""; -1 with errno (pivot.c).
int mount_id_at(int dirfd, const char *path);

// Paths inside the container's root (inroot.c); fds or -1 with errno.
#include <sys/types.h>
int in_root_open(int root, const char *path, int flags);
int in_root_mkdir_all(int root, const char *path, mode_t mode);
int in_root_create(int root, const char *path, mode_t mode);
int in_root_parent(int root, const char *path, mode_t dmode, char **name);

// A created container's own set-up after pivot_root (setup.c), from the
// process plan's set-up records.
struct path_rec { int idx; char *path; };
struct kv { char *key, *val; };
struct mstep { char op; char **a; int n; };  // a mount step (mounts.c), a[n..n+7] are ""
struct device {
  char *label, *path;  // label: the config entry, for errors
  unsigned int mode, major, minor;
  long uid, gid;  // -1: left
  int bind;       // in a user namespace: bind the host's node
};
struct setup {
  int present;
  char *hostname, *domainname;  // NULL: left alone
  struct kv *sysctl;
  int nsysctl;
  struct path_rec *ro, *masked;
  int nro, nmasked;
  char *mask_data;  // the data of the tmpfs over masked directories
  int root_ro;
  unsigned long prop_flags;
  char *prop_name;  // NULL: "/" keeps its propagation
  int has_oom, oom;
  int mkdir_cwd;
  int setsid, lo_up;
  int hooks;  // ask the parent to run its hooks once /dev is made
  struct mstep *mounts;
  int nmounts;  // a session of its own; lo up in a new network namespace
  // /dev (devices.c), before the root is entered.
  struct device *dev;
  int ndev, has_dev, ptmx;
  struct kv *links;  // key: target, val: name in /dev
  int nlinks;
};
void run_setup(struct setup *s, const char *cwd);
void make_dev(struct setup *s, const char *rootfs);
void run_mounts(struct setup *s);
// remount_bind changes the per-mount flags of the mount whose root fd is.
int remount_bind(int fd, unsigned long want, unsigned long cleared);
void start_setup(struct setup *s);

// enter_root makes rootfs the root (pivot.c): mode 'p' pivot_root, 'm'
// --no-pivot's move and chroot, 'c' chroot in a shared mount namespace.
void enter_root(char mode, const char *rootfs);

// --timings: the executor's phases, sent with ready.
void phases_start(int on);
void phase_mark(const char *name);
uint32_t phases_json(char *buf, uint32_t cap);

// The bootstrap plan (bootstrap.c).
#define MAX_JOIN 16
// The largest MAX_NUMNODES of a kernel (libcontainer/spec.MaxNUMANodes).
#define MPOL_NODES 1024
#define ULONG_BITS (8 * sizeof(unsigned long))
// path is allocated: a path array per join made struct boot 66 kB, which
// the constructor zeroed, one fresh stack page after another.
struct join { int flag; int fd; char name[16]; char *path; };
struct boot {
  struct join joins[MAX_JOIN];
  int njoin, cloneflags, maps, cgroup_wait, fork, process, nodump;
  char timens[512];
  size_t tlen;
  char keyring[1100];  // "_ses." and an id of up to 1024 characters
  long keyring_want;
  int mpol;
  long mpol_mode;
  unsigned long mpol_flags, mpol_mask[MPOL_NODES / ULONG_BITS];
  char mpol_words[512];
};
int parse_bootstrap(const char *buf, uint32_t len, struct boot *b);

// run_process reads the process plan on sync_fd and carries it out: it
// never returns.
void run_process(void) __attribute__((noreturn));

#endif
