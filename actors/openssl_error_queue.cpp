// CAF 0.17.6's OpenSSL module never clears OpenSSL's per-thread error queue, and all its TLS
// connections share one thread (the middleman's). OpenSSL's SSL_get_error() reports
// SSL_ERROR_SSL whenever that queue is not empty, so once one handshake failed (a plain peer,
// a certificate from another CA), the next "would block" of a healthy, authenticated
// connection on that thread was taken for a fatal error and the connection dropped: any peer
// that could reach a node's port could cut the node's links to its servers (measured: a plain
// server retrying once a second cut an authenticated server's link every few seconds; the
// test "a failed handshake does not cut an authenticated link" repeats it).
//
// The fix is the one CAF itself made later (libcaf_net, commit 2815cf2, "Fix error handling
// in OpenSSL wrapper", CAF 0.19): ERR_clear_error() before each SSL_connect, SSL_accept,
// SSL_read and SSL_write, as OpenSSL's manual asks of every caller. CAF 0.17.6 cannot be
// changed from here, so these definitions interpose OpenSSL's: a program linking this file
// defines the four functions itself, the dynamic linker binds libcaf_openssl's calls (and
// everybody else's) to them, and they clear the queue and call OpenSSL's own (RTLD_NEXT).
// Clearing the queue first is what every correct caller does anyway, so other users of
// OpenSSL in the same program lose nothing.

#include "actors/node_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace {

/// ERR_clear_error walks the whole queue (measured: 4.5 % of an HTTPS /hello's CPU when it ran
/// before every call); looking is cheap, and a queue with nothing in it needs no clearing.
void clear_error_queue() {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

/// OpenSSL's own definition of `name` (the next one after this program's).
template <class Fn>
Fn real(const char* name) {
  auto fn = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
  if (!fn) {  // cannot happen while libssl is linked; never call a null pointer
    std::fprintf(stderr, "fastactor: OpenSSL's %s not found\n", name);
    std::abort();
  }
  return fn;
}

}  // namespace

extern "C" {

int SSL_connect(SSL* ssl) {
  static auto next = real<int (*)(SSL*)>("SSL_connect");
  clear_error_queue();
  return next(ssl);
}

int SSL_accept(SSL* ssl) {
  static auto next = real<int (*)(SSL*)>("SSL_accept");
  clear_error_queue();
  return next(ssl);
}

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto next = real<int (*)(SSL*, void*, int)>("SSL_read");
  clear_error_queue();
  return next(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto next = real<int (*)(SSL*, const void*, int)>("SSL_write");
  clear_error_queue();
  return next(ssl, buf, num);
}

}  // extern "C"

namespace fastactor::detail {

bool openssl_error_queue_fix_linked() {
  return true;
}

}  // namespace fastactor::detail
