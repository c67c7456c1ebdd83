#pragma once
// session: one TCP connection, in the shape of Beast's example/http/server/async
// (do_read / on_read / do_write / on_write), with a response-writer actor in the middle:
//
//   do_read -> on_read -> (request_atom) -> writer ... writer -> write() -> do_write -> on_write
//                                                        ^--------- (write_done_atom) ----'
//
// The session parses and routes requests; the writer alone decides what is written. While a
// response is being produced the session keeps one read pending (`do_watch`) so that a client
// that leaves is noticed even when nothing is being written; bytes that arrive meanwhile (a
// pipelined request) wait in the buffer and are parsed once the response is complete, so
// responses go out in request order.

#include "actors/connection.hpp"
#include "actors/handler.hpp"
#include "actors/runtime.hpp"
#include "server/config.hpp"
#include "server/request_reader.hpp"
#include "server/router.hpp"
#include "server/strand_execution_unit.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <optional>

namespace fastactor {

class session_registry;

/// What all sessions of a server share (owned by the server, outlives every session).
struct session_shared {
  caf::actor_system& sys;
  const server_config& cfg;
  const router& routes;
  std::shared_ptr<runtime> rt;
  session_registry& registry;
};

class session : public connection, public std::enable_shared_from_this<session> {
public:
  session(boost::asio::ip::tcp::socket socket, session_shared& shared);
  ~session() override;

  /// Spawns the writer and reads the first request.
  void start();

  /// Server shutdown: the writer lets the response under way finish (`hard`: ends it now)
  /// and closes the connection.
  void stop(bool hard);

  // -- connection (called by the writer actor, which runs on this session's executor) -----
  void write(std::vector<std::string> parts, write_kind kind) override;
  void close() override;
  void set_timer(std::chrono::steady_clock::time_point due) override;
  void cancel_timer() override;

private:
  // Reading a request: wait for its first byte (idle timeout), read its header (header
  // timeout), check it, maybe answer `100 Continue`, read its body.
  void do_read();
  void do_wait_request();
  void do_read_header();
  void on_header(boost::beast::error_code ec);
  void do_continue();
  void do_read_body();
  void on_read(boost::beast::error_code ec);

  void do_watch();
  void on_watch(boost::beast::error_code ec);
  std::size_t read_available(boost::beast::error_code& ec);
  void do_write(std::vector<std::string> parts, write_kind kind);
  void on_write(boost::beast::error_code ec, write_kind kind);
  void do_close();
  void linger_close();
  void do_drain();

  // What the one timer is for: a read deadline (idle, header), the writer's timer while a
  // response is produced (response), the wait for the client's EOF on close (linger).
  enum class deadline_kind { none, idle, header, response, linger };
  void arm_read_deadline(deadline_kind kind);
  void disarm_read_deadline();
  void refuse(const request_refusal& why);
  void hand_over(std::shared_ptr<routed_request> in, bool then_watch);
  void peer_gone();
  template <class... Ts>
  void tell_writer(Ts&&... xs);  ///< a message to the writer (the only way the session talks to it)

  boost::asio::ip::tcp::socket socket_;
  session_shared& shared_;
  boost::beast::flat_buffer buffer_;
  using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  std::unique_ptr<request_parser> parser_;
  caf::actor writer_;
  std::string peer_;  ///< the client's address, for the access log
  std::vector<std::string> out_;  ///< the parts of the write in flight
  std::vector<boost::asio::const_buffer> out_buffers_;
  boost::asio::steady_timer read_timer_;  ///< see deadline_kind
  deadline_kind deadline_ = deadline_kind::none;
  bool deadline_passed_ = false;  ///< the read timer fired and cancelled the pending read
  bool read_pending_ = false;
  bool responding_ = false;  ///< a request was handed to the writer and is not answered yet
  bool watch_cancelled_ = false;  ///< the watch read was cancelled to parse a pipelined request
  bool lingering_ = false;  ///< the last response is out; waiting for the client to close
  bool closed_ = false;
  strand_execution_unit writer_home_;  ///< runs the writer on this session's executor
};

} // namespace fastactor
