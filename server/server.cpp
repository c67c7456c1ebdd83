#include <fastactor/server.hpp>

#include "actors/runtime.hpp"
#include "protocol/access_log.hpp"
#include "protocol/response_fields.hpp"
#include "server/access_log_flusher.hpp"
#include "server/listener.hpp"
#include "server/session.hpp"
#include "server/session_registry.hpp"
#include "server/tls_context.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <caf/actor_system.hpp>

#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace fastactor {

class server::impl {
public:
  impl(caf::actor_system& sys, server_config cfg, router routes)
    : sys_(sys), cfg_(checked(std::move(cfg))), routes_(std::move(routes)),
      rt_(std::make_shared<runtime>(response_limits{cfg_}, cfg_.blocking_threads, cfg_.server_name,
                                    std::chrono::milliseconds(cfg_.blocking_idle_ms))),
      shared_{sys_, cfg_, routes_, rt_, registry_}, contexts_(make_contexts(cfg_)) {
    if (serves_https(cfg_)) {
      tls_.emplace(tls_settings_of(cfg_));  // throws, naming the file, if it cannot load it
      shared_.tls = &*tls_;
    }
  }

  /// The listener first, then the io_contexts in order, the first first: an accept still
  /// pending on the first holds a socket of the next context it hands out, which must go
  /// before that context does (a std::vector does not promise an order of destruction).
  ~impl() {
    listener_.reset();
    log_flusher_.reset();
    for (auto& context : contexts_)
      context.reset();
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void start();
  void stop();
  /// Undoes a start() that could not start every I/O thread (a thread or memory limit).
  void undo_start();

  /// An io_context per I/O thread (io_executor.hpp). Each is run by one thread, which Asio is
  /// told (concurrency hint 1): it queues what that thread posts to itself without the
  /// scheduler's lock (other threads' posts still take it). ~380 instructions of mutex per
  /// /hello (callgrind).
  static std::vector<std::unique_ptr<boost::asio::io_context>>
  make_contexts(const server_config& cfg) {
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, cfg.io_threads); ++i)
      contexts.push_back(std::make_unique<boost::asio::io_context>(1));
    return contexts;
  }

  void stop_contexts() {
    for (auto& context : contexts_)
      context->stop();
  }

  /// `cfg`, if the program's own fields are sound (the options were checked when parsed).
  static server_config checked(server_config cfg) {
    // Every response head and canned answer carries the name: a CR or LF would split them.
    if (auto problem = response_field_problem("Server", cfg.server_name))
      throw std::invalid_argument("server_name: " + *problem);
    if (auto problem = tls_options_problem(cfg); !problem.empty())
      throw std::invalid_argument(problem);
    return cfg;
  }

  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) const {
    return detail::poll_until([&] { return pred(rt_->published_stats()); }, timeout);
  }

  /// Drains, then stops hard, then force-closes, until no writer is left.
  void drain_sessions();
  /// Tells every session to stop (drain or hard) until no writer is left or `patience` ends.
  void stop_sessions(bool hard, std::chrono::milliseconds patience);
  static bool no_writers(const server_stats& s) { return s.live_writers == 0; }
  /// Last resort for connections whose I/O thread a handler blocks (see below).
  void force_close_blocked_sessions();

  caf::actor_system& sys_;
  server_config cfg_;
  router routes_;
  std::shared_ptr<runtime> rt_;
  session_registry registry_;
  std::optional<tls_context_source> tls_;  ///< with --tls-cert
  session_shared shared_;
  // Declared after everything sessions refer to, so that handlers still queued in the
  // io_contexts are destroyed first.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<work_guard> work_;  ///< one per context, while the server runs
  std::shared_ptr<listener> listener_;
  std::shared_ptr<access_log_flusher> log_flusher_;  ///< with --access-log=1
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  // start() and stop() hold it: a second stop() from another thread (a signal handler's
  // thread and the destructor, say) waits for the first to finish instead of racing it.
  std::mutex lifecycle_;
  bool running_ = false;  ///< guarded by lifecycle_
};

server::server(caf::actor_system& sys, server_config cfg, router routes)
  : impl_(std::make_unique<impl>(sys, std::move(cfg), std::move(routes))) {}

server::~server() {
  stop();
}

void server::start() {
  impl_->start();
}

void server::stop() {
  impl_->stop();
}

std::uint16_t server::port() const {
  return impl_->port_;
}

const char* server::scheme() const {
  return impl_->tls_ ? "https" : "http";
}

std::string server::reload_tls() {
  if (!impl_->tls_)
    return "this server does not serve TLS (no --tls-cert)";
  auto error = impl_->tls_->reload();
  auto& tls = impl_->rt_->stats.tls;
  (error.empty() ? tls.reloads_total : tls.reload_failures_total)
    .fetch_add(1, std::memory_order_relaxed);
  return error;
}

const server_config& server::config() const {
  return impl_->cfg_;
}

const server_stats& server::stats() const {
  return impl_->rt_->published_stats();
}

caf::actor_system& server::system() const {
  return impl_->sys_;
}

void server::impl::start() {
  std::lock_guard<std::mutex> lock{lifecycle_};
  // Stopped, its blocking pool and io_context are done: its threads would return at once,
  // and the next stop() would wait for a listener nobody closes.
  if (contexts_.front()->stopped())
    throw std::logic_error("fastactor::server: start() after stop(); make a new server");
  auto address = boost::asio::ip::make_address(cfg_.host);
  listener_ = std::make_shared<listener>(
    contexts_, boost::asio::ip::tcp::endpoint{address, cfg_.port}, shared_);
  port_ = listener_->port();
  // The I/O threads start before the listener accepts: if one cannot start (a limit on
  // threads or memory), no connection has been taken yet and the start is undone whole.
  try {
    for (auto& context : contexts_)
      work_.push_back(boost::asio::make_work_guard(*context));
    if (cfg_.access_log) {
      log_flusher_ = std::make_shared<access_log_flusher>(*contexts_.front());
      log_flusher_->start();
    }
    for (auto& context : contexts_)
      threads_.emplace_back([&context = *context] { context.run(); });
    listener_->run();
  } catch (...) {
    undo_start();
    throw;
  }
  running_ = true;
}

// Left running, the threads already started would outlive the server (a joinable
// std::thread destroyed ends the process), and the bound socket would queue connections
// nobody takes. The io_contexts are stopped for good: start() is not tried again.
void server::impl::undo_start() {
  if (log_flusher_)
    log_flusher_->stop();
  work_.clear();
  stop_contexts();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  listener_.reset();  // closes the socket: connections the kernel queued are reset
}

void server::impl::stop() {
  std::lock_guard<std::mutex> lock{lifecycle_};
  if (!running_)
    return;
  running_ = false;
  auto listener_closed = listener_->stop();
  drain_sessions();
  // Once the close has run, every session the listener ever started is registered. One
  // accepted just before the close may have started after the drain above: it is drained
  // now, or its writer would be left half-run on the stopped io_context and the actor
  // system would wait for it for ever. (The I/O threads are free by now: the drain waited
  // for every handler that blocked one.)
  while (listener_closed.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    std::fprintf(stderr,
                 "fastactor: still waiting for the listener to close (is an I/O "
                 "thread blocked?)\n");
  if (!wait_for(no_writers, std::chrono::milliseconds(0)))
    drain_sessions();
  rt_->pool.stop();
  if (log_flusher_)
    log_flusher_->stop();
  work_.clear();
  wait_for([](const server_stats& s) { return s.live_connections == 0; }, std::chrono::seconds(5));
  stop_contexts();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  flush_access_log();  // the lines of the last connections
}

// Drain: responses under way may finish (their connections close after them); idle
// connections close now. Whatever is still running after the drain timeout is cut off.
void server::impl::drain_sessions() {
  stop_sessions(false, std::chrono::milliseconds(cfg_.drain_timeout_ms));
  if (!wait_for(no_writers, std::chrono::milliseconds(0)))
    stop_sessions(true, std::chrono::seconds(2));
  if (!wait_for(no_writers, std::chrono::milliseconds(0)))
    force_close_blocked_sessions();
}

// A writer that did not end on a hard stop cannot run: a handler blocks its I/O thread.
// Stopping the io_context now would leave that writer half-run on a dead executor, so its
// socket is shut down from here (the client learns at once) and the server waits for the
// handler to return, saying so.
void server::impl::force_close_blocked_sessions() {
  for (auto& s : registry_.snapshot())
    if (s->force_shutdown())
      std::fprintf(stderr,
                   "fastactor: connection %s: a handler blocks its I/O thread past the drain; "
                   "its socket is shut down, waiting for the handler to return\n",
                   s->peer().empty() ? "-" : s->peer().c_str());
  while (!wait_for(no_writers, std::chrono::seconds(10)))
    std::fprintf(stderr, "fastactor: still waiting for %lld blocked connection(s)\n",
                 static_cast<long long>(rt_->stats.live_writers.load()));
}

void server::impl::stop_sessions(bool hard, std::chrono::milliseconds patience) {
  // Repeat: a connection accepted just before the listener closed may register late.
  auto until = std::chrono::steady_clock::now() + patience;
  do {
    for (auto& s : registry_.snapshot())
      s->stop(hard);
  } while (!wait_for(no_writers, std::chrono::milliseconds(50))
           && std::chrono::steady_clock::now() < until);
}

}  // namespace fastactor
