#include "server/session.hpp"

#include "actors/response_writer.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/parse.hpp>
#include <caf/send.hpp>

#include <utility>

namespace fastactor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// How much a pipelining client may send ahead while a response is produced. Past it the
/// session stops reading until the response is done.
constexpr std::size_t pipeline_limit = 64 * 1024;

/// How long a closing connection waits for the client to close its side, so that the
/// response is not destroyed by a TCP reset.
constexpr auto linger_time = std::chrono::seconds(2);

} // namespace

session::session(asio::ip::tcp::socket socket, session_shared& shared)
  : socket_(std::move(socket)), shared_(shared), linger_timer_(socket_.get_executor()) {
  shared_.rt->stats.live_connections.fetch_add(1, std::memory_order_relaxed);
}

session::~session() {
  shared_.registry.remove(this);
  shared_.rt->stats.live_connections.fetch_sub(1, std::memory_order_relaxed);
}

void session::start() {
  beast::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // no Nagle + delayed-ACK stalls
  writer_ = spawn_response_writer(shared_.sys, shared_from_this(), shared_.rt);
  shared_.registry.add(shared_from_this());
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void session::stop() {
  caf::anon_send(writer_, shutdown_atom::value);
}

// -- reading requests -------------------------------------------------------------------------

void session::do_read() {
  if (closed_)
    return;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(shared_.cfg.max_header_bytes));
  parser_->body_limit(shared_.cfg.max_body_bytes);
  read_pending_ = true;
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     self->on_read(ec);
                   });
}

void session::on_read(beast::error_code ec) {
  read_pending_ = false;
  if (closed_)
    return;
  if (lingering_)
    return do_close();
  bool parse_error = ec && ec.category() == http::make_error_code(http::error::bad_target).category()
                     && ec != http::error::end_of_stream && ec != http::error::partial_message;
  if (ec && !parse_error)  // EOF between requests, a reset, a client gone mid-request
    return caf::anon_send(writer_, closed_atom::value);
  if (ec)
    return hand_over(make_error_request(ec), false);
  hand_over(make_request(), true);
}

std::shared_ptr<routed_request> session::make_request() {
  auto& msg = parser_->get();
  auto in = std::make_shared<routed_request>();
  auto& req = in->req;
  req.method = std::string{msg.method_string()};
  req.target = std::string{msg.target()};
  req.version = msg.version();
  req.keep_alive = msg.keep_alive();
  req.headers.reserve(8);
  for (const auto& field : msg)
    req.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
  req.body = std::move(msg.body());
  auto url = boost::urls::parse_origin_form(msg.target());
  if (!url) {
    in->fn = router::error_handler(400, "malformed request target '" + req.target + "'");
    return in;
  }
  req.path = url->path();
  for (auto param : url->params())
    req.query.emplace_back(param.key, param.value);
  std::vector<std::string> segments;
  for (auto segment : url->segments())
    segments.push_back(std::move(segment));
  auto match = shared_.routes.route(req.method, segments);
  in->fn = std::move(match.fn);
  req.params = std::move(match.params);
  return in;
}

std::shared_ptr<routed_request> session::make_error_request(beast::error_code ec) {
  std::uint16_t status = 400;
  std::string what = "malformed request: " + ec.message();
  if (ec == http::error::header_limit) {
    status = 431;
    what = "request header block is larger than " + std::to_string(shared_.cfg.max_header_bytes)
           + " bytes";
  } else if (ec == http::error::body_limit) {
    status = 413;
    what = "request body is larger than " + std::to_string(shared_.cfg.max_body_bytes) + " bytes";
  }
  auto in = std::make_shared<routed_request>();
  in->req.method = "GET";
  in->req.keep_alive = false;  // the stream cannot be trusted past a bad request
  in->fn = router::error_handler(status, what);
  return in;
}

void session::hand_over(std::shared_ptr<routed_request> in, bool then_watch) {
  responding_ = true;
  caf::anon_send(writer_, request_atom::value, std::shared_ptr<const routed_request>{std::move(in)});
  if (then_watch)
    do_watch();
}

// A read kept pending while the response is produced: it sees the client leave (EOF or
// reset) at once, and buffers what a pipelining client sends ahead.
void session::do_watch() {
  if (closed_ || read_pending_ || buffer_.size() >= pipeline_limit)
    return;
  read_pending_ = true;
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_watch(ec, n);
                          });
}

void session::on_watch(beast::error_code ec, std::size_t n) {
  read_pending_ = false;
  if (closed_)
    return;
  if (lingering_)
    return ec ? do_close() : do_drain();
  if (std::exchange(watch_cancelled_, false) && ec == asio::error::operation_aborted)
    return do_read();
  if (ec)
    return caf::anon_send(writer_, closed_atom::value);
  buffer_.commit(n);
  if (responding_)
    do_watch();
  else
    do_read();
}

// -- writing (the writer actor's side) -------------------------------------------------------

void session::write(std::vector<std::string> parts, write_kind kind) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), parts = std::move(parts), kind]() mutable {
               self->do_write(std::move(parts), kind);
             });
}

void session::do_write(std::vector<std::string> parts, write_kind kind) {
  if (closed_)
    return caf::anon_send(writer_, write_done_atom::value, false);
  out_ = std::move(parts);
  out_buffers_.clear();
  out_buffers_.reserve(out_.size());
  for (const auto& part : out_)
    out_buffers_.emplace_back(asio::buffer(part));
  asio::async_write(socket_, out_buffers_,
                    [self = shared_from_this(), kind](beast::error_code ec, std::size_t) {
                      self->on_write(ec, kind);
                    });
}

void session::on_write(beast::error_code ec, write_kind kind) {
  out_.clear();
  caf::anon_send(writer_, write_done_atom::value, !ec);
  if (ec)
    return do_close();
  switch (kind) {
    case write_kind::more:
      return;
    case write_kind::last_keep_alive:
      responding_ = false;
      if (!read_pending_)
        return do_read();
      // A pending watch read turns into the next request's read when bytes arrive. But a
      // pipelining client may already have sent the next request, and waits: parse it now.
      if (buffer_.size() > 0) {
        watch_cancelled_ = true;
        beast::error_code ignored;
        socket_.cancel(ignored);
      }
      return;
    case write_kind::last_close:
      responding_ = false;
      return linger_close();
  }
}

// -- closing ----------------------------------------------------------------------------------

void session::close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->do_close(); });
}

void session::do_close() {
  if (closed_)
    return;
  closed_ = true;
  beast::error_code ignored;
  linger_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

// Half-close, then wait (bounded) for the client's EOF before closing: closing a socket with
// unread input sends a reset, which can destroy the response still in flight to the client.
void session::linger_close() {
  lingering_ = true;
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  linger_timer_.expires_after(linger_time);
  linger_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->do_close();
  });
  if (!read_pending_)
    do_drain();
}

void session::do_drain() {
  read_pending_ = true;
  buffer_.clear();
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->read_pending_ = false;
                            if (ec || self->closed_)
                              return self->do_close();
                            self->do_drain();
                          });
}

} // namespace fastactor
