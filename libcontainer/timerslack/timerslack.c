// The constructor of package timerslack: see timerslack.go.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "timerslack.h"

unsigned long timerslack_caller;

// Runs right after nsenter's constructor (priority 101), which never
// returns in a container process: so only a command's Go runtime, whose
// threads all descend from this one, gets the coarse slack. A caller's
// slack that is coarser already is kept.
__attribute__((constructor(102))) static void timerslack_coarsen(void)
{
	// The raw call: the slack is a long, which prctl(3)'s int would cut.
	long cur = syscall(SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (cur < 0 || (unsigned long)cur >= RUNTIME_SLACK)
		return;
	if (prctl(PR_SET_TIMERSLACK, RUNTIME_SLACK, 0, 0, 0) == 0)
		timerslack_caller = (unsigned long)cur;
}
