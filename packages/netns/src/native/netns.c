// @ambit/netns native part: the few Linux calls Node cannot make itself.
//
// - openSocket: create a socket inside another network namespace (setns on the calling thread,
//   socket(2), setns back), then set SO_REUSEADDR / SO_MARK / IP(V6)_TRANSPARENT, bind, listen.
// - setMark, originalDst: SO_MARK and SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST on an existing fd.
// - flock: flock(2), non-blocking only (the JavaScript side polls with a deadline).
//
// Every failure throws an Error carrying `errno` (number) and `syscall` (the failed step); the
// TypeScript wrapper turns it into an AmbitError. Every fd opened here is closed on every path.
// setns affects only the calling thread (the JS main thread): it always returns to the namespace
// it started in before this function returns; if that is impossible the process aborts, since
// running on in a foreign namespace would silently misroute everything that follows.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

static napi_value throw_errno(napi_env env, const char *op, int err) {
  char msg[256];
  napi_value message, error, value;
  snprintf(msg, sizeof msg, "%s: %s", op, strerror(err));
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, NULL, message, &error) != napi_ok) {
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (napi_create_int32(env, err, &value) == napi_ok) napi_set_named_property(env, error, "errno", value);
  if (napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, error, "syscall", value);
  napi_throw(env, error);
  return NULL;
}

static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

// Reads an integer argument in [min, max]; throws a TypeError and returns false otherwise.
static bool get_int(napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= (double)min && d <= (double)max) ||
      (double)(int64_t)d != d) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer in [%lld, %lld]", name, (long long)min, (long long)max);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

// Reads an optional string argument (null/undefined -> *present = false).
static bool get_string(napi_env env, napi_value v, const char *name, char *buf, size_t size, bool *present) {
  size_t len = 0;
  *present = false;
  if (is_nullish(env, v)) return true;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len == 0 || len >= size - 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a non-empty string shorter than %zu bytes", name, size - 1);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  *present = true;
  return true;
}

static bool get_bool(napi_env env, napi_value v) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return false;
  return b;
}

static napi_value make_int(napi_env env, int64_t n) {
  napi_value v = NULL;
  napi_create_int64(env, n, &v);
  return v;
}

// openSocket(netnsPath|null, family 4|6, type 0=tcp 1=udp, bindAddress|null, bindPort, backlog (-1: none),
//            mark (-1: none), transparent, reuseAddress) -> fd (O_NONBLOCK | O_CLOEXEC)
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  char path[4096], addr[64];
  bool has_path, has_addr;
  int64_t family, type, port, backlog, mark;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 9) {
    napi_throw_type_error(env, NULL, "openSocket expects 9 arguments");
    return NULL;
  }
  if (!get_string(env, argv[0], "netns", path, sizeof path, &has_path) ||
      !get_int(env, argv[1], "family", 4, 6, &family) || !get_int(env, argv[2], "type", 0, 1, &type) ||
      !get_string(env, argv[3], "bind address", addr, sizeof addr, &has_addr) ||
      !get_int(env, argv[4], "bind port", 0, 65535, &port) || !get_int(env, argv[5], "backlog", -1, INT32_MAX, &backlog) ||
      !get_int(env, argv[6], "mark", -1, UINT32_MAX, &mark))
    return NULL;
  bool transparent = get_bool(env, argv[7]), reuse = get_bool(env, argv[8]);
  int domain = family == 6 ? AF_INET6 : AF_INET;

  struct sockaddr_storage ss;
  socklen_t slen = 0;
  memset(&ss, 0, sizeof ss);
  if (has_addr) {
    if (domain == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
      sin->sin_family = AF_INET;
      sin->sin_port = htons((uint16_t)port);
      if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) return throw_errno(env, "parse bind address", EINVAL);
      slen = sizeof *sin;
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons((uint16_t)port);
      if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) return throw_errno(env, "parse bind address", EINVAL);
      slen = sizeof *sin6;
    }
  }

  int stype = (type == 1 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd;
  if (has_path) {
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) return throw_errno(env, "open own netns", errno);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      int e = errno;
      close(self);
      return throw_errno(env, "open", e);
    }
    if (setns(target, CLONE_NEWNET) != 0) {
      int e = errno;
      close(target);
      close(self);
      return throw_errno(env, "setns", e);
    }
    fd = socket(domain, stype, 0);
    int socket_errno = errno;
    if (setns(self, CLONE_NEWNET) != 0)
      napi_fatal_error("@ambit/netns", NAPI_AUTO_LENGTH,
                       "cannot return the main thread to its own network namespace", NAPI_AUTO_LENGTH);
    close(target);
    close(self);
    if (fd < 0) return throw_errno(env, "socket", socket_errno);
  } else {
    fd = socket(domain, stype, 0);
    if (fd < 0) return throw_errno(env, "socket", errno);
  }

  // The socket belongs to the namespace it was created in: the rest needs no setns.
  const int one = 1;
  const uint32_t mark32 = (uint32_t)mark;
  const char *op = NULL;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    op = "setsockopt(SO_REUSEADDR)";
  else if (mark >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark32, sizeof mark32) != 0)
    op = "setsockopt(SO_MARK)";
  else if (transparent && domain == AF_INET && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one) != 0)
    op = "setsockopt(IP_TRANSPARENT)";
  else if (transparent && domain == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one) != 0)
    op = "setsockopt(IPV6_TRANSPARENT)";
  else if (has_addr && bind(fd, (struct sockaddr *)&ss, slen) != 0)
    op = "bind";
  else if (backlog >= 0 && listen(fd, (int)backlog) != 0)
    op = "listen";
  if (op != NULL) {
    int e = errno;
    close(fd);
    return throw_errno(env, op, e);
  }
  return make_int(env, fd);
}

// setMark(fd, mark)
static napi_value set_mark(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, mark;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "setMark expects 2 arguments");
    return NULL;
  }
  if (!get_int(env, argv[0], "fd", 0, INT32_MAX, &fd) || !get_int(env, argv[1], "mark", 0, UINT32_MAX, &mark))
    return NULL;
  uint32_t mark32 = (uint32_t)mark;
  if (setsockopt((int)fd, SOL_SOCKET, SO_MARK, &mark32, sizeof mark32) != 0)
    return throw_errno(env, "setsockopt(SO_MARK)", errno);
  return NULL;
}

// originalDst(fd) -> Buffer holding a struct sockaddr_in or sockaddr_in6 (parsed in TypeScript).
// An IPv6 socket may carry an IPv4 connection (v4-mapped): IP6T_SO_ORIGINAL_DST then finds no
// IPv6 conntrack entry, and the IPv4 query (which the kernel routes from SOL_IP on v6 sockets) answers.
static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int64_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, "originalDst expects 1 argument");
    return NULL;
  }
  if (!get_int(env, argv[0], "fd", 0, INT32_MAX, &fd)) return NULL;
  struct sockaddr_storage local, orig;
  socklen_t len = sizeof local;
  if (getsockname((int)fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, "getsockname", errno);
  memset(&orig, 0, sizeof orig);
  len = sizeof orig;
  int rc = -1;
  const char *op = "getsockopt(SO_ORIGINAL_DST)";
  if (local.ss_family == AF_INET6) {
    rc = getsockopt((int)fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &orig, &len);
    if (rc != 0 && errno == ENOENT) {
      len = sizeof orig;
      rc = getsockopt((int)fd, SOL_IP, SO_ORIGINAL_DST, &orig, &len);
    } else if (rc != 0) {
      op = "getsockopt(IP6T_SO_ORIGINAL_DST)";
    }
  } else if (local.ss_family == AF_INET) {
    rc = getsockopt((int)fd, SOL_IP, SO_ORIGINAL_DST, &orig, &len);
  } else {
    errno = EAFNOSUPPORT;
  }
  if (rc != 0) return throw_errno(env, op, errno);
  void *data = NULL;
  if (napi_create_buffer_copy(env, len, &orig, &data, &result) != napi_ok) return NULL;
  return result;
}

// flock(fd, mode): mode 0 = try exclusive (LOCK_EX|LOCK_NB) -> true if taken, false if held
// elsewhere; mode 1 = unlock -> true.
static napi_value do_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int64_t fd, mode;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "flock expects 2 arguments");
    return NULL;
  }
  if (!get_int(env, argv[0], "fd", 0, INT32_MAX, &fd) || !get_int(env, argv[1], "mode", 0, 1, &mode)) return NULL;
  int rc;
  do {
    rc = flock((int)fd, mode == 0 ? LOCK_EX | LOCK_NB : LOCK_UN);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && mode == 0 && errno == EWOULDBLOCK) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  if (rc != 0) return throw_errno(env, mode == 0 ? "flock(LOCK_EX)" : "flock(LOCK_UN)", errno);
  napi_get_boolean(env, true, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openSocket", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMark", NULL, set_mark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"originalDst", NULL, original_dst, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flock", NULL, do_flock, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
