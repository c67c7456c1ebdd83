#include "support/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace testing {

namespace {

using steady = std::chrono::steady_clock;

/// OpenSSL's queued errors as text (and the queue emptied).
std::string openssl_errors() {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty())
      text += "; ";
    text += buf;
  }
  return text;
}

int ms_left(steady::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

/// ALPN's wire format: each name preceded by its length.
std::string alpn_wire(const std::vector<std::string>& names) {
  std::string wire;
  for (const auto& name : names) {
    wire += static_cast<char>(name.size());
    wire += name;
  }
  return wire;
}

SSL_CTX* make_client_context(const tls_options& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    throw std::runtime_error("SSL_CTX_new: " + openssl_errors());
  auto fail = [ctx](const std::string& what) {
    SSL_CTX_free(ctx);
    throw std::runtime_error(what + ": " + openssl_errors());
  };
  if (o.legacy)
    SSL_CTX_set_security_level(ctx, 0);
  if (!o.tickets)
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if ((o.min_version && !SSL_CTX_set_min_proto_version(ctx, o.min_version))
      || (o.max_version && !SSL_CTX_set_max_proto_version(ctx, o.max_version)))
    fail("TLS versions");
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1)
      fail("cannot load the CA file " + o.ca_file);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!o.cert.empty()
      && (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1
          || SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1))
    fail("cannot load the client certificate " + o.cert);
  if (!o.alpn.empty()) {
    auto wire = alpn_wire(o.alpn);
    // (0 is success here, unlike everywhere else in OpenSSL.)
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size()))
        != 0)
      fail("ALPN");
  }
  return ctx;
}

}  // namespace

tls_stream::tls_stream(int fd, const tls_options& o) : fd_(fd) {
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  ctx_ = make_client_context(o);
  ssl_ = SSL_new(ctx_);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_)
    throw std::runtime_error("SSL_new: " + openssl_errors());
  BIO_set_mem_eof_return(in_, -1);  // empty is "wait for more", not EOF: fill() says EOF
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  if (o.check_host && !o.ca_file.empty())
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  if (o.resume)
    SSL_set_session(ssl_, o.resume.get());
  // A client's certificate callback runs when the server sends a CertificateRequest, only.
  SSL_set_cert_cb(
    ssl_,
    [](SSL*, void* self) {
      static_cast<tls_stream*>(self)->certificate_requested_ = true;
      return 1;
    },
    this);
}

tls_stream::~tls_stream() {
  SSL_free(ssl_);  // and the BIOs
  SSL_CTX_free(ctx_);
}

void tls_stream::note_openssl_error(int ret, const char* during) {
  int code = SSL_get_error(ssl_, ret);
  auto queued = openssl_errors();
  if (!queued.empty())
    error_ = std::string{during} + ": " + queued;
  else if (code == SSL_ERROR_ZERO_RETURN)
    error_ = std::string{during} + ": the server said goodbye (close_notify)";
  else
    error_ = std::string{during} + ": SSL error " + std::to_string(code);
  if (SSL_get_verify_result(ssl_) != X509_V_OK)
    error_ += std::string{" (certificate: "}
      + X509_verify_cert_error_string(SSL_get_verify_result(ssl_)) + ")";
}

// OpenSSL's output, moved to the socket as it takes it.
bool tls_stream::flush(steady::time_point until) {
  char buf[16 * 1024];
  for (;;) {
    if (unsent_.empty()) {
      int n = BIO_read(out_, buf, sizeof buf);
      if (n <= 0)
        return true;
      unsent_.assign(buf, static_cast<std::size_t>(n));
    }
    if (broken_)
      return false;
    auto n = ::send(fd_, unsent_.data(), unsent_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      unsent_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      int left = ms_left(until);
      if (left == 0)
        return false;
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, std::min(left, 20));
      continue;
    }
    broken_ = true;
    if (error_.empty())
      error_ = std::string{"send: "} + std::strerror(errno);
    return false;
  }
}

// What the socket holds, moved to OpenSSL; waits until `until` for the first byte.
bool tls_stream::fill(steady::time_point until) {
  if (eof_)
    return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, ms_left(until)) <= 0)
    return false;
  char buf[64 * 1024];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    BIO_write(in_, buf, static_cast<int>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return true;  // woken for nothing: the caller tries again
  eof_ = true;
  if (error_.empty())
    error_ =
      n == 0 ? "the server closed the connection" : std::string{"recv: "} + std::strerror(errno);
  return true;
}

bool tls_stream::handshake(ms wait) {
  auto until = steady::now() + wait;
  for (;;) {
    ERR_clear_error();
    int ret = SSL_do_handshake(ssl_);
    flush(until);  // the ClientHello, the Finished, or the alert that ends it
    if (ret == 1)
      return true;
    if (SSL_get_error(ssl_, ret) != SSL_ERROR_WANT_READ) {
      note_openssl_error(ret, "handshake");
      return false;
    }
    if (eof_) {
      error_ = "handshake: the server closed the connection";
      return false;
    }
    if (!fill(until)) {
      error_ = "handshake: no answer within " + std::to_string(wait.count()) + " ms";
      return false;
    }
  }
}

std::size_t tls_stream::write(const char* data, std::size_t n, ms wait) {
  auto until = steady::now() + wait;
  std::size_t done = 0;
  // One record at a time, and the next only once the socket took the last: what the server
  // does not read stays in the kernel's buffers, not here.
  while (flush(until) && done < n) {
    ERR_clear_error();
    int took =
      SSL_write(ssl_, data + done, static_cast<int>(std::min<std::size_t>(n - done, 16384)));
    if (took <= 0) {
      note_openssl_error(took, "write");
      broken_ = true;
      break;
    }
    done += static_cast<std::size_t>(took);
  }
  return done;
}

int tls_stream::read(std::string& into, ms wait, std::size_t max) {
  auto until = steady::now() + wait;
  std::size_t got = 0;
  char buf[16 * 1024];
  for (;;) {
    while (got < max && !closed_) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, static_cast<int>(std::min(sizeof buf, max - got)));
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        got += static_cast<std::size_t>(n);
        continue;
      }
      int code = SSL_get_error(ssl_, n);
      if (code == SSL_ERROR_ZERO_RETURN)
        closed_ = true;
      else if (code != SSL_ERROR_WANT_READ) {
        note_openssl_error(n, "read");
        closed_ = true;
      }
      break;
    }
    flush(steady::now());  // what reading made OpenSSL say (a key update's answer)
    if (got > 0)
      return static_cast<int>(got);
    if (closed_ || eof_)
      return -1;
    if (!fill(until))
      return 0;
  }
}

void tls_stream::close_notify() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  flush(steady::now() + std::chrono::milliseconds(100));
}

std::string tls_stream::version() const {
  return SSL_get_version(ssl_);
}

std::string tls_stream::alpn() const {
  const unsigned char* name = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &name, &len);
  return name ? std::string(reinterpret_cast<const char*>(name), len) : std::string{};
}

bool tls_stream::resumed() const {
  return SSL_session_reused(ssl_) == 1;
}

std::shared_ptr<SSL_SESSION> tls_stream::session() const {
  return {SSL_get1_session(ssl_), SSL_SESSION_free};
}

std::string tls_stream::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert)
    return {};
  char* text = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  std::string subject = text ? text : "";
  OPENSSL_free(text);
  X509_free(cert);
  return subject;
}

std::string client_hello_bytes(const tls_options& options) {
  SSL_CTX* ctx = make_client_context(options);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // writes the ClientHello, then wants the answer
  std::string hello;
  char buf[4096];
  for (int n; (n = BIO_read(out, buf, sizeof buf)) > 0;)
    hello.append(buf, static_cast<std::size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return hello;
}

}  // namespace testing
