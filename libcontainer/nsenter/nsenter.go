// Package nsenter links a C constructor into the hutch binary. When hutch
// re-executes itself as the container init, that constructor runs before the
// Go runtime starts any thread, which is the only point where a process can
// still join a user or mount namespace with setns(2) and unshare a user
// namespace: the kernel refuses both to multi-threaded processes.
//
// The constructor does nothing unless _HUTCH_INITPIPE names the init socket,
// or the arguments are "init --exec-wait ...": then it is the waiting
// container init (see exec_wait in nsenter.c and initproc's execWait).
// The message protocol it speaks is described in docs/process-model.md and
// libcontainer/syncmsg.
package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void hutch_nsenter(int argc, char **argv, char **envp);
// glibc passes argc, argv and envp to ELF constructors.
void __attribute__((constructor)) hutch_nsenter_init(int argc, char **argv, char **envp) { hutch_nsenter(argc, argv, envp); }
*/
import "C"
