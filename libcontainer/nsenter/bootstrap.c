// The bootstrap plan (the B message, libcontainer/plan.Bootstrap): the
// namespaces to join and to create, the user namespace's maps, the wait for
// the cgroup, time
// offsets, the memory policy, the session keyring, the fork into a pid
// namespace, and whether the process executor follows. Records as in the
// process plan: a tag byte, a 4-byte big-endian length, the payload.
#include "hutch.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static int ns_flag(const char *name) {
  static const struct { const char *name; int flag; } t[] = {
      {"user", CLONE_NEWUSER}, {"mount", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
      {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    if (strcmp(t[i].name, name) == 0) return t[i].flag;
  return 0;
}

// parse_nodemask reads "WORD[,WORD...]", 64-bit hex words of nodes (lowest
// first), into the kernel's unsigned long bitmap; 0 on success.
static int parse_nodemask(const char *s, unsigned long *mask) {
  memset(mask, 0, MPOL_NODES / 8);
  for (size_t word = 0;; word++) {
    char *end;
    errno = 0;
    unsigned long long w = strtoull(s, &end, 16);
    if (end == s || errno) return -1;
    for (size_t b = 0; b < 64; b++) {
      if (!((w >> b) & 1)) continue;
      size_t node = word * 64 + b;
      if (node >= MPOL_NODES) return -1;
      mask[node / ULONG_BITS] |= 1UL << (node % ULONG_BITS);
    }
    if (*end == 0) return 0;
    if (*end != ',') return -1;
    s = end + 1;
  }
}

int parse_bootstrap(const char *buf, uint32_t len, struct boot *b) {
  memset(b, 0, sizeof(*b));
  uint32_t off = 0;
  while (off + 5 <= len) {
    char tag = buf[off];
    const unsigned char *h = (const unsigned char *)buf + off + 1;
    uint32_t n = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    if (n > len - off - 5 || n >= 4096) return -1;
    char v[4096];
    memcpy(v, buf + off + 5, n);
    v[n] = 0;
    off += 5 + n;
    switch (tag) {
      case 'j': {  // "TYPE\0PATH": PATH "@N" is the parent's fd N
        if (b->njoin >= MAX_JOIN) return -1;
        struct join *j = &b->joins[b->njoin];
        size_t k = strlen(v);
        if (k >= n || k >= sizeof(j->name)) return -1;
        snprintf(j->name, sizeof(j->name), "%s", v);
        if (!(j->path = strdup(v + k + 1))) return -1;
        if (!(j->flag = ns_flag(j->name))) return -1;
        b->njoin++;
        break;
      }
      case 'c': b->cloneflags = (int)strtol(v, NULL, 10); break;
      case 'u': b->maps = 1; break;
      case 'g': b->cgroup_wait = 1; break;
      case 't': {  // "CLOCK SECS NSECS": a line of /proc/self/timens_offsets
        int w = snprintf(b->timens + b->tlen, sizeof(b->timens) - b->tlen, "%s\n", v);
        if (w < 0 || (size_t)w >= sizeof(b->timens) - b->tlen) return -1;
        b->tlen += (size_t)w;
        break;
      }
      case 'm': {  // "MODE FLAGS WORD[,WORD...]"
        char *end;
        b->mpol_mode = strtol(v, &end, 10);
        if (*end == ' ') b->mpol_flags = strtoul(end + 1, &end, 10);
        if (*end != ' ' || parse_nodemask(end + 1, b->mpol_mask) < 0) return -1;
        snprintf(b->mpol_words, sizeof(b->mpol_words), "%s", end + 1);
        b->mpol = 1;
        break;
      }
      case 'd': b->nodump = 1; break;
      case 'k':  // "NAME [SERIAL]": SERIAL is the init's, for an exec
        if (sscanf(v, "%1099s %ld", b->keyring, &b->keyring_want) < 1) return -1;
        break;
      case 'f': b->fork = 1; break;
      case 'x': b->process = 1; break;
      default: return -1;
    }
  }
  return off == len ? 0 : -1;
}
