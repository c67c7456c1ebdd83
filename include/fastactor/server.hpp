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

#include <fastactor/config.hpp>
#include <fastactor/detail/poll.hpp>
#include <fastactor/router.hpp>
#include <fastactor/stats.hpp>

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace fastactor {

/// A fastactor HTTP/1.1 server: a listener and I/O threads, answering each connection through
/// a response-writer actor of the given actor system. run() makes and drives one; build it
/// by hand to embed a server in a larger program.
class server {
public:
  /// Keeps `sys` (which must outlive the server), the options and the routes; listens only
  /// once started. Throws std::invalid_argument if `cfg.server_name` is not a valid header
  /// field value, or if the TLS options (`cfg.tls_cert`, `cfg.tls_key`, ...) do not go
  /// together or name a file that cannot be loaded (the message names the file).
  server(caf::actor_system& sys, server_config cfg, router routes);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts the I/O threads. Throws boost::system::system_error when the
  /// address cannot be bound, std::logic_error after stop() (a stopped server is not started
  /// again: make a new one), std::system_error when an I/O thread cannot be started (a limit
  /// on threads or memory): the server is stopped first, as by stop(), and cannot be
  /// started again either.
  void start();

  /// Stops accepting, lets running responses finish for up to `drain_timeout_ms` (idle
  /// connections close at once), cuts off the rest (their workers stop), waits for the
  /// writers, stops the I/O threads. A connection whose I/O thread a handler blocks has its
  /// socket shut down and is logged; stop() waits for that handler to return rather than
  /// stop an I/O thread under a live writer. Idempotent, and safe from several threads at once:
  /// each call returns once the server has stopped. The destructor calls it. Call it
  /// from a thread of your own (as run() does on a signal), never from a handler or an actor
  /// of this server: it would wait for itself.
  void stop();

  /// The port it listens on (the real one when configured with port 0).
  std::uint16_t port() const;
  /// "https" if it serves TLS (`cfg.tls_cert`), else "http": for the URL it listens on.
  const char* scheme() const;
  /// Reads the TLS certificate and key files again (what SIGHUP does in run()): new
  /// connections use the new pair, open ones keep theirs, none is dropped. Returns an empty
  /// string on success; otherwise what is wrong with the files, and the old pair stays.
  /// Thread-safe. Without TLS, says so.
  std::string reload_tls();
  /// The options it was made with.
  const server_config& config() const;
  /// The server's counters (what /metrics shows), as of this call: the per-request ones are
  /// summed from their per-thread shares now (see <fastactor/stats.hpp>). Thread-safe.
  const server_stats& stats() const;
  /// The actor system its writers and workers run in.
  caf::actor_system& system() const;

  /// Waits until `pred(stats())` holds or `timeout` passes; returns the last result.
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) const {
    return detail::poll_until([&] { return pred(stats()); }, timeout);
  }

private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fastactor
