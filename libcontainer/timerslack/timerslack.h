// Shared by timerslack.c and the Go side (RuntimeSlack).
#ifndef HUTCH_TIMERSLACK_H
#define HUTCH_TIMERSLACK_H

// The slack the runtime's threads get, in ns.
#define RUNTIME_SLACK 2000000UL

// The caller's slack, or 0 when this process left it alone.
extern unsigned long timerslack_caller;

#endif
