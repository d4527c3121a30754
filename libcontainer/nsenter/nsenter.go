// Package nsenter links a C constructor into the hutch binary. When hutch
// re-executes itself as the container init, that constructor runs before the
// Go runtime starts any thread, which is the only point where a process can
// still join a user or mount namespace with setns(2) and unshare a user
// namespace: the kernel refuses both to multi-threaded processes.
//
// The constructor does nothing unless _HUTCH_INITPIPE names the init
// socket. Then it is the whole init of a container (create) or of a process
// in one (exec): it joins and creates the namespaces (nsenter.c), then runs
// the process executor (process.c), which carries out the process plan the
// parent sends: for a create the root's mounts (mounts.c), /dev
// (devices.c), the hooks, the root (pivot.c) and the rest of the set-up
// (setup.c) first. No Go runtime ever starts in a container process.
// The message protocol it speaks is described in docs/process-model.md and
// libcontainer/syncmsg.
package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void hutch_nsenter(int argc, char **argv, char **envp);
// glibc passes argc, argv and envp to ELF constructors. Priority 101, the
// first a program may take: in a container process it never returns, so
// no other constructor of the binary runs there (timerslack's must not).
void __attribute__((constructor(101))) hutch_nsenter_init(int argc, char **argv, char **envp) { hutch_nsenter(argc, argv, envp); }
*/
import "C"
