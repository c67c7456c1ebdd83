#pragma once
// access_log_flusher: writes the access log's buffer out every access_log_flush_interval,
// so that a line is on stdout soon after its request even when the buffer is far from full
// (protocol/access_log.hpp). A timer on the server's io_context, armed while the server runs
// with --access-log=1.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <memory>

namespace fastactor {

class access_log_flusher : public std::enable_shared_from_this<access_log_flusher> {
public:
  /// stop() posts its cancel to the timer's executor, so that it never touches the timer while
  /// a tick does. Each of the server's io_contexts has one thread, which orders them already;
  /// the strand keeps it so on an io_context that several threads run.
  explicit access_log_flusher(boost::asio::io_context& ioc)
    : timer_(boost::asio::make_strand(ioc)) {}

  void start();
  /// Stops the ticks (from any thread) and writes out what is left.
  void stop();

private:
  void tick();
  void on_tick(boost::system::error_code ec);

  boost::asio::steady_timer timer_;
  /// Set by stop(), from any thread: a tick already queued does not arm the next.
  std::atomic<bool> stopped_{false};
};

}  // namespace fastactor
