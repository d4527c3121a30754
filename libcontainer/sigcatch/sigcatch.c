// The handler of package sigcatch: see sigcatch.go.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int sigcatch_fd = -1;

// The handler writes the signal's number to the pipe and nothing else: a
// write(2) is async-signal-safe, and the handler may run on any thread,
// in the middle of Go code, on that thread's signal stack (SA_ONSTACK).
// A full pipe drops the signal, as the kernel coalesces a pending one.
static void sigcatch_handler(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	ssize_t r = write(sigcatch_fd, &b, 1);
	(void)r;
	errno = saved;
}

// sigcatch_install points the handler at fd and installs it for the n
// signals; 0, or the index + 1 of the signal sigaction refused (errno set).
int sigcatch_install(int fd, const int *sigs, int n)
{
	sigcatch_fd = fd;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigcatch_handler;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return i + 1;
	return 0;
}
