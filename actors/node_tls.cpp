// Node TLS: the check of the three files at start, the OpenSSL module's configuration and the
// connector's diagnostic handshake (node_tls.hpp).
#include "actors/node_tls.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace fastactor {

namespace {

using ctx_ptr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using ssl_ptr = std::unique_ptr<SSL, decltype(&SSL_free)>;

/// OpenSSL's last error as text ("" if none), clearing its queue.
std::string openssl_error() {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text += text.empty() ? buf : std::string{"; "} + buf;
  }
  return text;
}

/// An encrypted key must fail here, not ask for a passphrase on the terminal.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

/// Why the file an option names cannot be read; empty if it can.
std::string unreadable(const char* option, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return std::string{"cannot read "} + option + " file '" + path + "': " + std::strerror(errno);
  std::fclose(f);
  return {};
}

/// A context with this side's certificate and key and the peer's CA; empty `error` if so.
ctx_ptr load_context(const node_tls& tls, const SSL_METHOD* method, std::string& error) {
  ERR_clear_error();
  ctx_ptr ctx{SSL_CTX_new(method), SSL_CTX_free};
  if (!ctx) {
    error = "cannot create a TLS context: " + openssl_error();
    return ctx;
  }
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  auto fail = [&](std::string what) {
    error = std::move(what) + " (" + openssl_error() + ")";
    return ctx_ptr{nullptr, SSL_CTX_free};
  };
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certificate.c_str()) != 1)
    return fail("--node-tls-cert file '" + tls.certificate + "' holds no PEM certificate");
  auto mismatch = "--node-tls-key file '" + tls.key + "' does not match --node-tls-cert file '"
    + tls.certificate + "'";
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(
      ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH
        ? mismatch
        : "--node-tls-key file '" + tls.key
          + "' holds no unencrypted PEM private key (CAF's passphrase option is not used)");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return fail(mismatch);
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
    return fail("--node-tls-ca file '" + tls.ca + "' holds no PEM CA certificate");
  return ctx;
}

}  // namespace

std::string check_node_tls(const node_tls& tls) {
  if (!tls.enabled())
    return {};
  std::vector<std::string> missing;
  if (tls.certificate.empty())
    missing.push_back("--node-tls-cert");
  if (tls.key.empty())
    missing.push_back("--node-tls-key");
  if (tls.ca.empty())
    missing.push_back("--node-tls-ca");
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size(); ++i)
      list += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
    return "node TLS needs --node-tls-cert, --node-tls-key and --node-tls-ca together: " + list
      + (missing.size() == 1 ? " is" : " are") + " missing";
  }
  for (auto [option, path] :
       {std::pair{"--node-tls-cert", &tls.certificate}, std::pair{"--node-tls-key", &tls.key},
        std::pair{"--node-tls-ca", &tls.ca}})
    if (auto error = unreadable(option, *path); !error.empty())
      return error;
  std::string error;
  load_context(tls, TLS_method(), error);
  return error;
}

void detail::configure_tls(caf::actor_system_config& cfg, const node_tls& tls) {
  if (!tls.enabled() || !openssl_error_queue_fix_linked())
    return;
  cfg.load<caf::openssl::manager>();
  // All three set: CAF then requires and verifies the peer's certificate on both sides
  // (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT); with none it would fall back to
  // anonymous Diffie-Hellman, which configure_remote never asks for.
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
}

bool uses_node_tls(caf::actor_system& sys) {
  return sys.has_openssl_manager() && sys.openssl_manager().authentication_enabled();
}

caf::expected<std::uint16_t> publish_node(const caf::actor& whom, std::uint16_t port,
                                          const std::string& host) {
  auto& sys = whom.home_system();
  auto* in = host.empty() ? nullptr : host.c_str();
  if (uses_node_tls(sys))
    return caf::openssl::publish(whom, port, in, true);
  return sys.middleman().publish(whom, port, in, true);
}

namespace detail {

node_tls node_tls_of(caf::actor_system& sys) {
  if (!uses_node_tls(sys))
    return {};
  auto& cfg = sys.config();
  return {cfg.openssl_certificate, cfg.openssl_key, cfg.openssl_cafile};
}

namespace {

/// Waits until `fd` is ready for what OpenSSL asked (`want`); false at the deadline.
bool wait_for(int fd, int want, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0)
    return false;
  pollfd p{fd, static_cast<short>(want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

/// Why a failed SSL_connect or SSL_read failed, as a sentence about the node.
std::string describe_failure(SSL* ssl, int code, bool handshake_done) {
  auto verify = SSL_get_verify_result(ssl);
  if (!handshake_done && verify != X509_V_OK)
    return "TLS handshake failed: certificate verify failed: "
      + std::string{X509_verify_cert_error_string(verify)}
    + " (the node's certificate is not signed by this server's --node-tls-ca)";
  auto reason = ERR_GET_REASON(ERR_peek_error());
  auto detail = openssl_error();
  if (reason >= SSL_AD_REASON_OFFSET)  // an alert from the node
    return "TLS handshake failed: the node refused this server's certificate (" + detail
      + "): the node's --node-tls-ca must hold the CA that signed this server's --node-tls-cert";
  if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_UNKNOWN_PROTOCOL
      || reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_HTTP_REQUEST)
    return "TLS handshake failed: the node does not speak TLS (" + detail
      + "): is it running without --node-tls-cert/--node-tls-key/--node-tls-ca?";
  if (code == SSL_ERROR_ZERO_RETURN || code == SSL_ERROR_SYSCALL || detail.empty()
      || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return std::string{"TLS handshake failed: the node closed the connection"}
    + (handshake_done ? " after the handshake: it refused this server's certificate?" : "")
      + (detail.empty() ? "" : " (" + detail + ")");
  return "TLS handshake failed: " + detail;
}

/// OpenSSL writes with write(): a node that is gone would raise SIGPIPE and end the process.
/// Blocked in this thread meanwhile, a pending one dropped after (as CAF's session does).
class sigpipe_blocked {
public:
  sigpipe_blocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
  }
  ~sigpipe_blocked() {
    timespec zero{};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

private:
  sigset_t pipe_, saved_;
};

}  // namespace

std::string tls_handshake_probe(int fd, const node_tls& tls,
                                std::chrono::steady_clock::time_point deadline) {
  std::string error;
  auto ctx = load_context(tls, TLS_client_method(), error);
  if (!ctx)
    return error;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  ssl_ptr ssl{SSL_new(ctx.get()), SSL_free};
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  SSL_set_fd(ssl.get(), fd);
  sigpipe_blocked guard;
  for (bool done = false;;) {
    ERR_clear_error();
    char byte = 0;
    int ret = done ? SSL_read(ssl.get(), &byte, 1) : SSL_connect(ssl.get());
    if (ret == 1 && done)
      return {};  // the node's BASP handshake: it accepted this side's certificate
    if (ret == 1) {
      done = true;
      continue;
    }
    auto code = SSL_get_error(ssl.get(), ret);
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE)
      return describe_failure(ssl.get(), code, done);
    if (!wait_for(fd, code, deadline))
      return done ? "TLS handshake done, but the node sent nothing in time"
                  : "TLS handshake not done in time";
  }
}

}  // namespace detail

}  // namespace fastactor
