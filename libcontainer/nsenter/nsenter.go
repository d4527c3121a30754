// Package nsenter links a C constructor into the hutch binary. When hutch
// re-executes itself as the container init, that constructor runs before the
// Go runtime starts any thread, which is the only point where a process can
// still join a user or mount namespace with setns(2) and unshare a user
// namespace: the kernel refuses both to multi-threaded processes.
//
// The constructor does nothing unless _HUTCH_INITPIPE names the init socket.
// The message protocol it speaks is described in docs/process-model.md and
// libcontainer/syncmsg.
package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void hutch_nsenter(void);
void __attribute__((constructor)) hutch_nsenter_init(void) { hutch_nsenter(); }
*/
import "C"
