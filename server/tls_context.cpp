#include "server/tls_context.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

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

/// The protocols the server speaks, in ALPN's wire format (length-prefixed names), preferred
/// first. HTTP/1.0 is served too (`curl --http1.0` offers only it).
constexpr unsigned char alpn_http1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1',
                                        8, 'h', 't', 't', 'p', '/', '1', '.', '0'};
constexpr unsigned char alpn_http2[] = {2,   'h', '2', 8,   'h', 't', 't', 'p', '/', '1', '.',
                                        '1', 8,   'h', 't', 't', 'p', '/', '1', '.', '0'};

/// OpenSSL's newest queued error, as text (and the queue emptied).
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

// Picks http/1.1 (or http/1.0) if the client offers it. A client that offers only protocols
// the server does not speak is refused with an alert (RFC 7301 3.2) rather than answered in a
// protocol it did not ask for.
// `http2` (non-null) puts h2 first: a browser that speaks it gets it.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* http2) {
  unsigned char* chosen = nullptr;
  auto ours = http2 ? alpn_http2 : alpn_http1;
  auto size = http2 ? sizeof alpn_http2 : sizeof alpn_http1;
  if (SSL_select_next_proto(&chosen, outlen, ours, static_cast<unsigned>(size), in, inlen)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// -- session tickets ----------------------------------------------------------------------------
// OpenSSL's own ticket key lives as long as its context (until the next reload), and a key that
// never changes lets whoever steals it decrypt every recorded TLS 1.2 session resumed with it
// (the reason Mozilla's guideline turns nginx's tickets off). So the server keeps its own keys,
// made at random and rotated every ticket_key_lifetime; a ticket of the previous key is still
// accepted, and renewed, for one more lifetime, so none is accepted past two. The keys are
// process-wide: a reload does not cost every client its resumption.

constexpr auto ticket_key_lifetime = std::chrono::hours(1);

struct ticket_key {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> aes{};  ///< AES-256-CBC, the ticket encryption RFC 5077 suggests
  std::array<unsigned char, 32> hmac{};  ///< HMAC-SHA256 over it
  std::chrono::steady_clock::time_point made;
};

class ticket_keys {
public:
  /// The key new tickets are made with.
  std::optional<ticket_key> current() {
    std::lock_guard<std::mutex> lock(mutex_);
    rotate_if_due();
    return current_;
  }

  /// The key named `name` and whether it is the current one; nothing if unknown or expired.
  std::optional<std::pair<ticket_key, bool>> find(const unsigned char* name) {
    std::lock_guard<std::mutex> lock(mutex_);
    rotate_if_due();
    if (current_ && std::memcmp(name, current_->name.data(), 16) == 0)
      return std::make_pair(*current_, true);
    if (previous_ && std::memcmp(name, previous_->name.data(), 16) == 0)
      return std::make_pair(*previous_, false);
    return std::nullopt;
  }

private:
  void rotate_if_due() {
    auto now = std::chrono::steady_clock::now();
    if (current_ && now - current_->made < ticket_key_lifetime)
      return;
    ticket_key fresh;
    if (RAND_bytes(fresh.name.data(), 16) != 1 || RAND_bytes(fresh.aes.data(), 32) != 1
        || RAND_bytes(fresh.hmac.data(), 32) != 1)
      return;  // no randomness: keep what there is (or make no tickets)
    fresh.made = now;
    previous_ = std::exchange(current_, fresh);
    if (previous_ && now - previous_->made >= 2 * ticket_key_lifetime)
      previous_.reset();  // idle for so long that its tickets are all too old
  }

  std::mutex mutex_;
  std::optional<ticket_key> current_, previous_;
};

ticket_keys& process_ticket_keys() {
  static ticket_keys keys;
  return keys;
}

bool set_mac_key(EVP_MAC_CTX* mac, ticket_key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's contract: 1 = use this key, 2 = valid but renew the ticket, 0 = unknown (a full
// handshake), -1 = error.
// TLS 1.3 clients use a ticket once (RFC 8446 C.4: OpenSSL's client, browsers), and OpenSSL
// sends a resumed TLS 1.3 connection new tickets only when told to renew: answering 1 there
// would leave the client nothing to resume with next time, so every other connection would be
// a full handshake. OpenSSL's built-in keys renew every TLS 1.3 ticket for the same reason.
int ticket_key_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                        EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  auto& keys = process_ticket_keys();
  if (encrypt) {
    auto key = keys.current();
    if (!key || RAND_bytes(iv, 16) != 1)
      return -1;
    std::memcpy(key_name, key->name.data(), 16);
    if (!set_mac_key(mac, *key)
        || EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv) != 1)
      return -1;
    return 1;
  }
  auto found = keys.find(key_name);
  if (!found)
    return 0;
  if (!set_mac_key(mac, found->first)
      || EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, found->first.aes.data(), iv) != 1)
    return -1;
  bool renew = !found->second || SSL_version(ssl) == TLS1_3_VERSION;
  return renew ? 2 : 1;
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
  // Resumption: tickets with rotated keys (above), and OpenSSL's server-side cache (its
  // default) for clients without ticket support.
  static constexpr unsigned char session_context[] = "fastactor";
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_callback);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // no client certificates asked for
  static int http2_marker = 0;  // any non-null argument says "h2 too"
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, settings.http2 ? &http2_marker : nullptr);
  return {};
}

// An encrypted key would make OpenSSL ask for its passphrase on the terminal: at start the
// server would wait for input, on SIGHUP the thread that handles signals would. Refused
// instead, with a message that says so.
int refuse_passphrase(char*, int, int, void* asked) {
  if (asked)
    *static_cast<bool*>(asked) = true;
  return 0;
}

// The key before the certificate: OpenSSL then keeps a certificate that does not match the
// key without the key, and the check below names the mismatch (loaded the other way round,
// the key's load fails with a message that blames the key file's format).
std::string load_credentials(SSL_CTX* ctx, const tls_settings& s) {
  for (auto [option, path] :
       {std::pair<std::string_view, const std::string*>{"tls-cert", &s.cert}, {"tls-key", &s.key}})
    if (auto why = unreadable(option, *path); !why.empty())
      return why;
  if (!s.chain.empty())
    if (auto why = unreadable("tls-chain", s.chain); !why.empty())
      return why;
  bool passphrase_asked = false;
  SSL_CTX_set_default_passwd_cb(ctx, refuse_passphrase);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &passphrase_asked);
  bool key_loaded = SSL_CTX_use_PrivateKey_file(ctx, s.key.c_str(), SSL_FILETYPE_PEM) == 1;
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (passphrase_asked) {
    ERR_clear_error();
    return "--tls-key=" + s.key
      + " is encrypted: give the server an unencrypted key (openssl pkey -in KEY -out NEW), "
        "readable by it alone";
  }
  if (!key_loaded)
    return "--tls-key=" + s.key + " is not a PEM private key (" + openssl_error() + ")";
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
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return "--tls-key=" + s.key + " does not belong to the certificate in --tls-cert=" + s.cert;
  }
  return {};
}

}  // namespace

tls_settings tls_settings_of(const server_config& cfg) {
  return {cfg.tls_cert, cfg.tls_key, cfg.tls_chain, cfg.tls_min_version, cfg.http2 != 0};
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
