// Package nsenter links a C constructor into the hutch binary. When hutch
// re-executes itself as the container init, that constructor runs before the
// Go runtime starts any thread, which is the only point where a process can
// still join a user or mount namespace with setns(2) and unshare a user
// namespace: the kernel refuses both to multi-threaded processes.
//
// The constructor does nothing unless _HUTCH_INITPIPE names the init socket
// (the namespace set-up, then for an exec the process executor), or
// _HUTCH_PROCPIPE does (a create's init re-executed to have its process
// set up and exec'd by the executor, process.c, without a Go runtime).
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
