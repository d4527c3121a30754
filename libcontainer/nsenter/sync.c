// Message framing between hutch and its C half (libcontainer/syncmsg):
// 4-byte big-endian payload length, 1 type byte, payload.
#include "hutch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sync_fd = -1;

int write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

// Frame: 4-byte big-endian payload length, 1 type byte, payload.
int send_msg(char type, const char *payload, uint32_t len) {
  unsigned char hdr[5] = {len >> 24, len >> 16, len >> 8, len, (unsigned char)type};
  if (write_full(sync_fd, hdr, 5) < 0) return -1;
  return len ? write_full(sync_fd, payload, len) : 0;
}

// recv_header reads a frame's header, which must be of type want, and
// returns its payload length.
static uint32_t recv_header(char want) {
  unsigned char hdr[5];
  if (read_full(sync_fd, hdr, 5) < 0) _exit(1);  // parent is gone: nothing to report to
  if ((char)hdr[4] != want) _exit(1);
  return ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
}

char *recv_msg(char want, uint32_t *lenp) {
  uint32_t len = recv_header(want);
  if (len > MAX_MSG) _exit(1);
  char *buf = calloc(1, len + 1);
  if (!buf || read_full(sync_fd, buf, len) < 0) _exit(1);
  if (lenp) *lenp = len;
  return buf;
}

// lower_strerror is strerror(e) with a lower-case first letter: the Go
// init's errno texts ("no such file or directory"), which engines match.
const char *lower_strerror(int e) {
  static char err[256];
  snprintf(err, sizeof(err), "%s", strerror(e));
  if (err[0] >= 'A' && err[0] <= 'Z') err[0] = (char)(err[0] - 'A' + 'a');
  return err;
}

// fail_msg sends the formatted message, then ": " and errtext if set, as
// an 'E' message and exits.
static void fail_msg(const char *errtext, const char *fmt, va_list ap) __attribute__((noreturn));
static void fail_msg(const char *errtext, const char *fmt, va_list ap) {
  char msg[8192];
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
  if (errtext) n += snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", errtext);
  if ((size_t)n >= sizeof(msg) - 1) n = sizeof(msg) - 2;
  if (sync_fd >= 0) {
    send_msg(MSG_ERROR, msg, (uint32_t)n);
  } else {
    // After ready nobody reads the socket: the container's stderr.
    msg[n] = '\n';
    write_full(2, msg, (size_t)n + 1);
  }
  _exit(1);
}


void bail(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  fail_msg(saved ? strerror(saved) : NULL, fmt, ap);
}


void fail_errno(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  fail_msg(lower_strerror(saved), fmt, ap);
}

void fail_text(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fail_msg(NULL, fmt, ap);
}
