#pragma once
// server: a fastactor HTTP/1.1 server. It runs Asio on its own I/O threads and answers every
// request through a response-writer actor in the given actor system.
//
//   fastactor::system_config cfg;             // CAF config with fastactor's options
//   if (auto err = fastactor::parse_options(cfg, argc, argv)) ...
//   caf::actor_system sys{cfg};
//   fastactor::router routes;
//   routes.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
//   fastactor::server srv{sys, cfg.server, std::move(routes)};
//   srv.start();                               // listening now; srv.port() is the real port
//   ...
//   srv.stop();                                // or let the destructor do it

#include "actors/runtime.hpp"
#include "actors/stats.hpp"
#include "server/config.hpp"
#include "server/router.hpp"
#include "server/session.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace fastactor {

class listener;

class server {
public:
  server(caf::actor_system& sys, server_config cfg, router routes);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts the I/O threads. Throws boost::system::system_error when the
  /// address cannot be bound.
  void start();

  /// Stops accepting, lets running responses finish for up to `drain_timeout_ms` (idle
  /// connections close at once), cuts off the rest (their workers stop), waits for the
  /// writers, stops the I/O threads. A connection whose I/O thread a handler blocks has its
  /// socket shut down and is logged; stop() waits for that handler to return rather than
  /// stop an I/O thread under a live writer. Idempotent; the destructor calls it.
  void stop();

  /// The port it listens on (the real one when configured with port 0).
  std::uint16_t port() const { return port_; }
  const server_config& config() const { return cfg_; }
  const server_stats& stats() const { return rt_->stats; }
  caf::actor_system& system() const { return sys_; }

  /// Waits until `pred(stats())` holds or `timeout` passes; returns the last result.
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) const {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred(stats())) {
      if (std::chrono::steady_clock::now() >= until)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

private:
  /// Tells every session to stop (drain or hard) until no writer is left or `patience` ends.
  void stop_sessions(bool hard, std::chrono::milliseconds patience);
  /// Last resort for connections whose I/O thread a handler blocks (see server.cpp).
  void force_close_blocked_sessions();

  caf::actor_system& sys_;
  server_config cfg_;
  router routes_;
  std::shared_ptr<runtime> rt_;
  session_registry registry_;
  session_shared shared_;
  // Declared after everything sessions refer to, so that handlers still queued in the
  // io_context are destroyed first.
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::shared_ptr<listener> listener_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

} // namespace fastactor
