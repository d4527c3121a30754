// Package console gives a container process a terminal the way engines expect
// with --console-socket: the container init allocates a pty inside the
// container's devpts, sends the master to the engine over the console socket
// (SCM_RIGHTS, one message, one fd, as runc does) and makes the slave its
// stdio and controlling terminal.
package console
