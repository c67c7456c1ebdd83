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
#include <fastactor/handler.hpp>
#include "actors/runtime.hpp"
#include <fastactor/config.hpp>
#include "server/request_reader.hpp"
#include <fastactor/router.hpp>
#include "server/strand_execution_unit.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <atomic>
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

  /// From any thread, as shutdown's last resort: shuts the socket down under a handler that
  /// blocks this connection's I/O thread (so its writer cannot even hear `stop`). The I/O
  /// thread closes it properly once the handler returns.
  /// False if the socket was closed already.
  bool force_shutdown();
  const std::string& peer() const { return peer_; }

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
  void do_write_rest(write_kind kind);
  void on_write(boost::beast::error_code ec, write_kind kind);
  void do_close();
  void linger_close();
  void do_drain();

  // What the one timer is for: a read deadline (idle, header, body); while a response is
  // produced the writer's timer and the send deadline of a write that waits for the client
  // (response); the wait for the client's EOF on close (linger).
  enum class deadline_kind { none, idle, header, body, response, linger };
  void arm_read_deadline(deadline_kind kind);
  void disarm_read_deadline();
  void arm_response_timer();
  void on_response_timer();
  void refuse(const request_refusal& why);
  void hand_over(std::shared_ptr<routed_request> in, bool then_watch);
  void peer_gone();
  /// A message to the writer, with the key that proves it is the connection's (the only
  /// way the session talks to it).
  template <class Atom, class... Ts>
  void tell_writer(Atom atom, Ts&&... xs);

  boost::asio::ip::tcp::socket socket_;
  session_shared& shared_;
  boost::beast::flat_buffer buffer_;  ///< bounded: read_buffer_max()
  std::unique_ptr<incoming_request> reading_;  ///< only while a request is read
  caf::actor writer_;
  connection_key key_;  ///< shared with the writer alone
  std::string peer_;  ///< the client's address, for the access log
  std::vector<std::string> out_;  ///< the parts of the write in flight
  std::vector<boost::asio::const_buffer> out_buffers_;  ///< what is left of it
  boost::asio::steady_timer read_timer_;  ///< see deadline_kind
  deadline_kind deadline_ = deadline_kind::none;
  std::chrono::steady_clock::time_point writer_due_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point write_progress_;  ///< last byte taken by the socket
  bool write_waiting_ = false;  ///< a write is waiting for the client to read
  bool deadline_passed_ = false;  ///< the read timer fired and cancelled the pending read
  bool read_pending_ = false;
  bool responding_ = false;  ///< a request was handed to the writer and is not answered yet
  bool watch_cancelled_ = false;  ///< the watch read was cancelled to parse a pipelined request
  bool lingering_ = false;  ///< the last response is out; waiting for the client to close
  bool closed_ = false;
  static constexpr int fd_claimed = -2;  ///< force_shutdown is using native_fd_
  std::atomic<int> native_fd_{-1};  ///< for force_shutdown; -1 once closed
  strand_execution_unit writer_home_;  ///< runs the writer on this session's executor
};

} // namespace fastactor
