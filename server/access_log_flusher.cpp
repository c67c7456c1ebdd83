#include "server/access_log_flusher.hpp"

#include "protocol/access_log.hpp"
#include "server/bind_self.hpp"

#include <boost/asio/post.hpp>

namespace fastactor {

void access_log_flusher::start() {
  tick();
}

void access_log_flusher::stop() {
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  flush_access_log();
}

void access_log_flusher::tick() {
  timer_.expires_after(access_log_flush_interval);
  timer_.async_wait(bind_self(&access_log_flusher::on_tick, shared_from_this()));
}

void access_log_flusher::on_tick(boost::system::error_code ec) {
  if (ec || stopped_)
    return;
  flush_access_log();
  tick();
}

}  // namespace fastactor
