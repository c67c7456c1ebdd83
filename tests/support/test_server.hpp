#pragma once
// A real fastactor server on 127.0.0.1 and an ephemeral port, in the test process, so tests
// can read its counters (live workers, active streams, ...) while talking HTTP to it.
// With FASTACTOR_TEST_TLS=1 (support/transport.hpp) its default configuration serves HTTPS
// with the test certificate.

#include "support/test_certs.hpp"
#include "support/transport.hpp"
#include <fastactor/options.hpp>
#include <fastactor/server.hpp>

#include <caf/actor_system.hpp>

#include <memory>

namespace testing {

class test_server {
public:
  explicit test_server(fastactor::router routes, fastactor::server_config cfg = default_config())
    : config_(make_config(cfg)), sys_(std::make_unique<caf::actor_system>(*config_)),
      srv_(std::make_unique<fastactor::server>(*sys_, cfg, std::move(routes))) {
    srv_->start();
  }

  ~test_server() {
    srv_.reset();  // the server first: it ends every writer before the actor system goes
  }

  static fastactor::server_config default_config() {
    fastactor::server_config cfg;
    cfg.port = 0;
    cfg.blocking_threads = 8;
    cfg.access_log = false;
    cfg.drain_timeout_ms = 1000;
    if (tls_from_environment())
      with_test_certificate(cfg);
    return cfg;
  }

  /// The default configuration, serving HTTPS with the test certificate in any run.
  static fastactor::server_config tls_config() {
    auto cfg = default_config();
    return with_test_certificate(cfg);
  }

  /// `cfg` serving HTTPS with the test CA's server certificate.
  static fastactor::server_config& with_test_certificate(fastactor::server_config& cfg) {
    cfg.tls_cert = test_certs::server_cert();
    cfg.tls_key = test_certs::server_key();
    return cfg;
  }

  std::uint16_t port() const { return srv_->port(); }
  fastactor::server& server() { return *srv_; }
  const fastactor::server_stats& stats() const { return srv_->stats(); }
  caf::actor_system& system() { return *sys_; }

  /// Waits (generously) until no request, writer-less stream or worker is left.
  bool idle(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return srv_->wait_for(
      [](const fastactor::server_stats& s) {
        return s.active_streams == 0 && s.live_workers == 0 && s.running_tasks == 0;
      },
      timeout);
  }

private:
  static std::unique_ptr<fastactor::system_config>
  make_config(const fastactor::server_config& cfg) {
    auto config = std::make_unique<fastactor::system_config>();
    config->set("scheduler.max-threads", static_cast<std::int64_t>(cfg.actor_threads));
    return config;
  }

  std::unique_ptr<fastactor::system_config> config_;  // the actor system refers to it
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<fastactor::server> srv_;
};

}  // namespace testing
