#include "server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace fastactor {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" configuration (ssl-config.mozilla.org, guideline 5.7): forward-
// secret AEAD suites for TLS 1.2; TLS 1.3's own suites are OpenSSL's defaults, the same list.
constexpr const char* tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
                                      "DHE-RSA-CHACHA20-POLY1305";
constexpr const char* groups = "X25519:prime256v1:secp384r1";

/// The protocols the server speaks, in ALPN's wire format (length-prefixed names).
constexpr unsigned char alpn_protocols[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

/// OpenSSL's oldest queued error, as text (and the queue emptied).
std::string openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code)
                                                          : "error " + std::to_string(code)
                          : "unknown error";
  ERR_clear_error();
  return text;
}

/// Empty if `path` can be opened for reading, else why not (naming option and file).
std::string unreadable(std::string_view option, const std::string& path) {
  std::ifstream in(path);
  if (in)
    return {};
  return "cannot read --" + std::string{option} + "=" + path + ": " + std::strerror(errno);
}

// Picks http/1.1 if the client offers it. A client that offers only protocols the server does
// not speak is refused with an alert (RFC 7301 3.2) rather than answered in a protocol it did
// not ask for.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, alpn_protocols, sizeof alpn_protocols, in, inlen)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string apply_defaults(SSL_CTX* ctx, const tls_settings& settings) {
  int min_version = settings.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (!SSL_CTX_set_min_proto_version(ctx, min_version)
      || !SSL_CTX_set_cipher_list(ctx, tls12_ciphers) || !SSL_CTX_set1_groups_list(ctx, groups))
    return "TLS defaults refused by OpenSSL: " + openssl_error();
  // No SSL_OP_CIPHER_SERVER_PREFERENCE: every suite on the list is strong, so the client
  // picks (one without AES hardware prefers ChaCha20), as Mozilla's guideline says.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_dh_auto(ctx, 1);  // for the DHE suites
  // Idle connections give their record buffers back (a streaming server holds many).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Resumption: tickets (OpenSSL's default, keys made per context) and a server-side cache
  // for clients without ticket support.
  static constexpr unsigned char session_context[] = "fastactor";
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // no client certificates asked for
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  return {};
}

std::string load_credentials(SSL_CTX* ctx, const tls_settings& s) {
  for (auto [option, path] :
       {std::pair<std::string_view, const std::string*>{"tls-cert", &s.cert}, {"tls-key", &s.key}})
    if (auto why = unreadable(option, *path); !why.empty())
      return why;
  if (!s.chain.empty())
    if (auto why = unreadable("tls-chain", s.chain); !why.empty())
      return why;
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert.c_str()) != 1)
    return "--tls-cert=" + s.cert + " is not a PEM certificate (" + openssl_error() + ")";
  if (!s.chain.empty()) {
    // Intermediates of their own file: added to the chain the certificate file began.
    auto* in = BIO_new_file(s.chain.c_str(), "r");
    int added = 0;
    while (X509* x = in ? PEM_read_bio_X509(in, nullptr, nullptr, nullptr) : nullptr) {
      if (!SSL_CTX_add0_chain_cert(ctx, x)) {
        X509_free(x);
        break;
      }
      ++added;
    }
    BIO_free(in);
    ERR_clear_error();  // the read loop ends on "no start line"
    if (added == 0)
      return "--tls-chain=" + s.chain + " holds no PEM certificate";
  }
  // Read first, then used: SSL_CTX_use_PrivateKey_file refuses a key that does not match the
  // certificate as if it were no key at all ("key values mismatch").
  EVP_PKEY* key = nullptr;
  if (BIO* in = BIO_new_file(s.key.c_str(), "r")) {
    key = PEM_read_bio_PrivateKey(in, nullptr, SSL_CTX_get_default_passwd_cb(ctx),
                                  SSL_CTX_get_default_passwd_cb_userdata(ctx));
    BIO_free(in);
  }
  if (!key)
    return "--tls-key=" + s.key + " is not a PEM private key (" + openssl_error() + ")";
  bool used = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!used) {
    ERR_clear_error();
    return "--tls-key=" + s.key + " does not belong to the certificate in --tls-cert=" + s.cert;
  }
  return {};
}

}  // namespace

tls_settings tls_settings_of(const server_config& cfg) {
  return {cfg.tls_cert, cfg.tls_key, cfg.tls_chain, cfg.tls_min_version};
}

std::string tls_options_problem(const server_config& cfg) {
  if (cfg.tls_cert.empty() != cfg.tls_key.empty())
    return cfg.tls_cert.empty() ? "--tls-key needs --tls-cert (the certificate it belongs to)"
                                : "--tls-cert needs --tls-key (its private key)";
  if (!cfg.tls_chain.empty() && cfg.tls_cert.empty())
    return "--tls-chain needs --tls-cert and --tls-key";
  return {};
}

std::shared_ptr<ssl::context> make_tls_context(const tls_settings& settings, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  error = apply_defaults(ctx->native_handle(), settings);
  if (error.empty())
    error = load_credentials(ctx->native_handle(), settings);
  return error.empty() ? ctx : nullptr;
}

tls_context_source::tls_context_source(tls_settings settings) : settings_(std::move(settings)) {
  std::string error;
  current_ = make_tls_context(settings_, error);
  if (!current_)
    throw std::invalid_argument(error);
}

std::shared_ptr<ssl::context> tls_context_source::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::string tls_context_source::reload() {
  std::string error;
  auto fresh = make_tls_context(settings_, error);
  if (!fresh)
    return error;
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(fresh);
  return {};
}

}  // namespace fastactor
