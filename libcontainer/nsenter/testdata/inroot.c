// A test harness for the path walk inside a root (inroot.c): `inroot ROOT
// PATH` makes PATH's missing parents inside ROOT with in_root_parent and
// prints where the parent is on the host and the last component
// (inroot_test.go). Built by the test.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "../hutch.h"

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return 2;
  char *name = NULL;
  int fd = in_root_parent(root, argv[2], 0755, &name);
  if (fd < 0) {
    printf("error %s\n", strerror(errno));
    return 1;
  }
  char link[64], dir[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, dir, sizeof(dir) - 1);
  if (n < 0) return 2;
  dir[n] = 0;
  printf("parent %s\nname %s\n", dir, name);
  return 0;
}
