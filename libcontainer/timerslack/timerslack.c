// The constructor of package timerslack: see timerslack.go.
#include <sys/prctl.h>

// The slack the runtime's threads get, in ns. Keep in line with
// RuntimeSlack in timerslack.go.
#define RUNTIME_SLACK 2000000UL

// The caller's slack, or 0 when this process left it alone. Read by Go.
unsigned long timerslack_caller;

// Runs right after nsenter's constructor (priority 101), which never
// returns in a container process: so only a command's Go runtime, whose
// threads all descend from this one, gets the coarse slack. A caller's
// slack that is coarser already is kept.
__attribute__((constructor(102))) static void timerslack_coarsen(void)
{
	int cur = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (cur < 0 || (unsigned long)cur >= RUNTIME_SLACK)
		return;
	if (prctl(PR_SET_TIMERSLACK, RUNTIME_SLACK, 0, 0, 0) == 0)
		timerslack_caller = (unsigned long)cur;
}
