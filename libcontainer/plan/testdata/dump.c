// A test harness: the process executor's own plan decoder, fed a plan on
// stdin, prints what it decoded (roundtrip_test.go). Built by the test.
#include "../../nsenter/process.c"

// dump_bootstrap prints what the constructor's decoder made of a bootstrap
// plan (dump bootstrap < plan).
static int dump_bootstrap(const char *buf, uint32_t len) {
  struct boot b;
  if (parse_bootstrap(buf, len, &b) < 0) {
    puts("malformed");
    return 1;
  }
  for (int i = 0; i < b.njoin; i++) printf("join %s %s %#x\n", b.joins[i].name, b.joins[i].path, b.joins[i].flag);
  printf("clone %#x\nmaps %d\ncgroup wait %d\ntimens %.*s|\n", b.cloneflags, b.maps, b.cgroup_wait, (int)b.tlen, b.timens);
  printf("mempolicy %d %ld %#lx %s %#lx %#lx\n", b.mpol, b.mpol_mode, b.mpol_flags, b.mpol_words, b.mpol_mask[0],
         b.mpol_mask[1]);
  printf("nodump %d\nkeyring %s %ld\nfork %d\nprocess %d\n", b.nodump, b.keyring, b.keyring_want, b.fork, b.process);
  return 0;
}

int main(int argc, char **argv) {
  static char buf[1 << 24];
  size_t len = 0;
  ssize_t n;
  while ((n = read(0, buf + len, sizeof(buf) - len)) > 0) len += (size_t)n;
  if (argc > 1 && !strcmp(argv[1], "bootstrap")) return dump_bootstrap(buf, (uint32_t)len);
  struct plan p;
  if (parse_plan(buf, (uint32_t)len, &p) < 0) {
    puts("malformed");
    return 1;
  }
  for (int i = 0; i < p.argc; i++) printf("arg %s\n", p.argv[i]);
  for (int i = 0; i < p.envc; i++) printf("env %s\n", p.envp[i]);
  printf("cwd %s\npreserve %d\nroot %d\n", p.cwd, p.preserve, p.root_fd);
  for (int i = 0; i < p.nrl; i++)
    printf("rlimit %d %d %llu %llu %s\n", p.rl[i].idx, p.rl[i].res, p.rl[i].soft, p.rl[i].hard, p.rl[i].type);
  printf("user %lu %lu %#lo", p.uid, p.gid, p.umask_);
  for (int i = 0; i < p.ngroups; i++) printf(" %u", (unsigned)p.groups[i]);
  printf("\ncaps %d %d %#llx %#llx %#llx %#llx %#llx %s %s\n", p.has_caps, p.last_cap, p.bnd, p.eff, p.prm, p.inh,
         p.amb, p.capnames[0] ? p.capnames[0] : "-", p.capnames[p.last_cap] ? p.capnames[p.last_cap] : "-");
  printf("nnp %d\nseccomp %d %#x %u\nnotify %d %.*s\n", p.nnp, p.has_sc, p.sc_flags, p.sc_len, p.notify_fd,
         (int)p.notify_len, p.notify_msg ? p.notify_msg : "");
  printf("affinity %d %d %s / %d %d %s\n", p.aff_initial.set, CPU_COUNT(&p.aff_initial.mask),
         p.aff_initial.list ? p.aff_initial.list : "-", p.aff_final.set, CPU_COUNT(&p.aff_final.mask),
         p.aff_final.list ? p.aff_final.list : "-");
  printf("personality %d %lu\nioprio %d %d\n", p.has_personality, p.personality, p.has_ioprio, p.ioprio);
  printf("sched %d %u %llu %d %u %llu %llu %llu %s\n", p.has_sched, p.sched.sched_policy,
         (unsigned long long)p.sched.sched_flags, p.sched.sched_nice, p.sched.sched_priority,
         (unsigned long long)p.sched.sched_runtime, (unsigned long long)p.sched.sched_deadline,
         (unsigned long long)p.sched.sched_period, p.sched_name);
  printf("lsm %s %s\n", p.apparmor ? p.apparmor : "-", p.selinux ? p.selinux : "-");
  printf("tty %d %lu %d %u %u\nfifo %d\n", p.tty_fd, p.tty_uid, p.tty_has_size, p.rows, p.cols, p.fifo_fd);
  for (int i = 0; i < p.nhooks; i++) {
    struct hook *h = &p.hooks[i];
    printf("hook %ld %s", h->timeout, h->path);
    for (int k = 0; k < h->argc; k++) printf(" arg=%s", h->argv[k]);
    for (int k = 0; k < h->envc; k++) printf(" env=%s", h->envp[k]);
    printf("\n");
  }
  printf("state %.*s\n", (int)p.hook_state_len, p.hook_state ? p.hook_state : "");
  for (int i = 0; i < p.setup.ndev; i++) {
    struct device *d = &p.setup.dev[i];
    printf("device %s|%s|%u %u %u %ld %ld %d\n", d->label, d->path, d->mode, d->major, d->minor, d->uid, d->gid, d->bind);
  }
  for (int i = 0; i < p.setup.nlinks; i++) printf("link %s %s\n", p.setup.links[i].key, p.setup.links[i].val);
  printf("dev %d ptmx %d\nsession %d lo %d hooks %d\n", p.setup.has_dev, p.setup.ptmx, p.setup.setsid, p.setup.lo_up,
         p.setup.hooks);
  for (int i = 0; i < p.nchooks; i++) {
    struct hook *h = &p.chooks[i];
    printf("chook %ld %s", h->timeout, h->path);
    for (int k = 0; k < h->argc; k++) printf(" arg=%s", h->argv[k]);
    printf("\n");
  }
  printf("enter %c %s\n", p.root_mode ? p.root_mode : '-', p.rootfs ? p.rootfs : "-");
  struct setup *u = &p.setup;
  printf("names %s %s\n", u->hostname ? u->hostname : "-", u->domainname ? u->domainname : "-");
  for (int i = 0; i < u->nsysctl; i++) printf("sysctl %s=%s\n", u->sysctl[i].key, u->sysctl[i].val);
  for (int i = 0; i < u->nro; i++) printf("readonly %d %s\n", u->ro[i].idx, u->ro[i].path);
  for (int i = 0; i < u->nmasked; i++) printf("masked %d %s\n", u->masked[i].idx, u->masked[i].path);
  printf("maskdata %s\nroot %d %lu %s\n", u->mask_data ? u->mask_data : "-", u->root_ro, u->prop_flags,
         u->prop_name ? u->prop_name : "-");
  printf("oom %d %d\nmkdir %d\ntimings %d\n", u->has_oom, u->oom, u->mkdir_cwd, p.timings);
  return 0;
}
