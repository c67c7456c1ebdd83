#pragma once
// tls_context: the server's TLS settings and credentials, as OpenSSL contexts.
//
// One context serves every handshake; a reload (SIGHUP) builds a new one from the files and
// swaps it in only if it is sound, so that a broken file never replaces a working pair.
// Connections keep the context they started with (each holds it), so a reload drops none:
// new handshakes use the new pair, running ones finish on the old.
//
// The defaults are what a user should get without reading a manual: TLS 1.2 and 1.3 only,
// Mozilla's "intermediate" cipher list (the client chooses among them), session resumption
// with tickets, ALPN, no renegotiation, no compression.

#include <fastactor/config.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace fastactor {

/// Where the credentials are and how old a TLS version may be (the --tls-* options).
struct tls_settings {
  std::string cert;  ///< PEM: the certificate, optionally followed by intermediates
  std::string key;  ///< PEM: its private key
  std::string chain;  ///< PEM: more intermediates, sent after the certificate (optional)
  std::string min_version = "1.2";  ///< "1.2" or "1.3"
  bool http2 = true;  ///< ALPN offers h2 first
};

/// The settings the --tls-* options of `cfg` make.
tls_settings tls_settings_of(const server_config& cfg);

/// Empty if `cfg`'s TLS options go together (a certificate and its key, or neither, and a
/// chain only with them); else what is wrong.
std::string tls_options_problem(const server_config& cfg);

/// A server context from `settings`, or null with `error` saying what is wrong (naming the
/// option and the file).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_settings& settings,
                                                            std::string& error);

/// The context new connections get, replaced by `reload`. Thread-safe.
class tls_context_source {
public:
  /// Throws std::invalid_argument (naming the file) if the credentials cannot be loaded.
  explicit tls_context_source(tls_settings settings);

  std::shared_ptr<boost::asio::ssl::context> current() const;

  /// Reads the files again. Empty on success; otherwise why not, and the old pair stays.
  std::string reload();

private:
  tls_settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace fastactor
