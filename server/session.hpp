#pragma once
// session: one TCP connection, in the shape of Beast's example/http/server/async
// (read_x / on_x / do_write / on_write), with a response-writer actor in the middle:
//
//   read_header -> on_header -> read_body -> on_read -> (request_atom) -> writer ...
//   ... writer -> write() -> do_write -> on_write -> (write_done_atom) -> writer
//
// The session parses and routes requests; the writer alone decides what is written. The
// session's phases (see `phase`) follow the requests it reads and the connection's end; the
// writer has phases of its own for the response it writes. While a response is being
// produced the session keeps one read pending (`do_watch`) so that a client that leaves is
// noticed even when nothing is being written; bytes that arrive meanwhile (a pipelined
// request) wait in the buffer and are parsed once the response is complete, so responses go
// out in request order.

#include "actors/connection.hpp"
#include "actors/runtime.hpp"
#include "protocol/http1_framer.hpp"
#include "server/held_responses.hpp"
#include "server/http2_codec.hpp"
#include "server/io_executor.hpp"
#include "server/read_buffer_allocator.hpp"
#include "server/request_reader.hpp"
#include "server/strand_execution_unit.hpp"
#include <fastactor/config.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/router.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>
#include <fastactor/detail/handoff.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

namespace fastactor {

class session_registry;
class tls_context_source;

/// What all sessions of a server share (owned by the server, outlives every session).
struct session_shared {
  caf::actor_system& sys;
  const server_config& cfg;
  const router& routes;
  std::shared_ptr<runtime> rt;
  session_registry& registry;
  tls_context_source* tls = nullptr;  ///< the HTTPS server's credentials; null: plain HTTP
};

/// A plain TCP connection. Its transport steps (reading, writing, the lingering close) are
/// virtual so that a TLS connection (tls_session) can do them through OpenSSL; everything
/// else, the phases and deadlines and the talk with the writer, is the same for both.
class session : public connection,
                public http2_host,
                public strand_execution_unit::turn_listener,
                public std::enable_shared_from_this<session> {
public:
  session(tcp_socket socket, session_shared& shared);
  ~session() override;

  /// Spawns the writer and reads the first request. `peer`: where the client connects from.
  void start(const boost::asio::ip::tcp::endpoint& peer);

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
  bool write(channel_id ch, outgoing out, write_kind kind) override;
  /// HTTP/1.1 cannot end one response early but by closing the connection; HTTP/2 resets
  /// the stream.
  void reset(channel_id ch) override;
  bool multiplexed() const override { return h2_ != nullptr; }
  void close() override;

  // -- http2_host (called by the HTTP/2 codec, on this session's strand) --------------------
  void h2_request(channel_id ch, std::shared_ptr<routed_request> in) override;
  void h2_reset(channel_id ch) override;
  void h2_write_done(channel_id ch) override;
  void set_timer(std::chrono::steady_clock::time_point due) override;
  void cancel_timer() override;
  void request_done(channel_id ch, std::shared_ptr<routed_request> in) override;

  // -- turn_listener (called by writer_home_ after each of the writer's turns) --------------
  void writer_turn_ended() override;

protected:
  /// Where the connection is. The phase alone says what the one timer is for and what the
  /// completion of a pending read means. Each phase is entered by one function, named in
  /// brackets; do_x starts an operation, on_x is its completion.
  enum class phase : std::uint8_t {
    handshaking,  ///< TLS only: the handshake; handshake timeout [tls_session::begin]
    waiting,  ///< for the next request's first byte; idle timeout [await_request]
    reading_header,  ///< a request's header; header timeout [read_header]
    reading_body,  ///< its body, after a `100 Continue` if the client asked; body
                   ///< timeout [read_body]
    responding,  ///< the writer answers it; the timer is the writer's and the send
                 ///< deadline's; the watch sees the client leave and buffers what it
                 ///< pipelines [hand_over]
    client_gone,  ///< the client left, or idled out: the writer was told and closes
                  ///< the connection [peer_gone]
    lingering,  ///< the last response is out; waiting (bounded) for the client's EOF
                ///< before closing [linger]
    closed,  ///< [do_close]
    http2,  ///< the connection speaks HTTP/2: the codec reads and writes; the timer serves the
            ///< writer, the send deadline and the idle timeout [start_http2]
  };

  // -- the transport's steps: a plain socket's here, OpenSSL's in tls_session -------------
  /// After start(): reads the first request (TLS: after the handshake).
  virtual void begin();
  /// Reads the request's header into reading_ (on_header completes it).
  virtual void start_header_read();
  /// Reads its body (on_read completes it).
  virtual void start_body_read();
  /// Writes `continue_response()` (then reads the body, or the client is gone).
  virtual void start_continue_write();
  /// Waits until the client sent something (on_watch completes it): between requests, on a
  /// plain connection, by reading a small request at once (start_peek); otherwise without a
  /// buffer (wait_readable).
  virtual void start_watch();
  /// The wait without a buffer.
  void wait_readable();
  /// Reads what the client sent, without blocking, into buffer_; `ec` says whether the
  /// client is still there (would_block: nothing to read after all).
  virtual void read_available(boost::beast::error_code& ec);
  /// Writes the parts in out_ (on_write or on_write_rest completes it). `at_once_ok`: the writer
  /// called and waits for the answer; a write that completes at once then returns true,
  /// after what follows the write (after_write) has been done, and sends no message.
  virtual bool start_write(write_kind kind, bool at_once_ok);
  /// The last response is out: half-close (see lingering_close; linger and drain arm the
  /// patience).
  virtual void start_linger();
  /// An HTTP/2 connection has no response under way and nothing left to write: the transport
  /// may give back what it keeps for writing (TLS: its record buffer, up to 16 KiB, which an
  /// HTTP/1.1 response gives back with its last write).
  virtual void output_idle() {}
  /// Reads and discards until the client's EOF (see lingering_close), then closes: at once
  /// when the EOF is there already, else within the patience.
  void drain();
  bool drained_at_once();
  bool client_sends_no_more();
  void arm_linger_patience();

  // Reading a request: wait for its first byte, read its header, check it, maybe answer
  // `100 Continue`, read its body, hand it to the writer.
  void await_request();
  void read_first();
  void read_header();
  bool parse_buffered_header();
  void on_header(boost::beast::error_code ec, std::size_t);
  void on_header_read(boost::beast::error_code ec, std::size_t n);
  void read_body();
  void do_continue();
  void do_read_body();
  void on_read(boost::beast::error_code ec, std::size_t);
  void on_body_read(boost::beast::error_code ec, std::size_t n);
  /// Bytes were just read into buffer_ (TLS: handed over by OpenSSL, which may have read them
  /// from the socket a little earlier). Into an empty buffer: they begin the next request,
  /// which arrived now (routed_request::arrived). Bytes read behind others leave that alone:
  /// the request at the front arrived with an earlier read.
  void note_read(bool into_empty_buffer) {
    last_read_ = std::chrono::steady_clock::now();
    if (into_empty_buffer)
      front_arrived_ = last_read_;
  }
  void hand_over(std::shared_ptr<routed_request> in, bool then_watch);
  void give_request(std::shared_ptr<routed_request> in, bool then_watch, bool at_once);
  void refuse(const request_refusal& why);
  void peer_gone();

  void do_watch();
  void on_watch(boost::beast::error_code ec);
  void start_peek();
  void on_peek(boost::beast::error_code ec, std::size_t n);
  std::size_t peek_size() const;
  void on_watched(boost::beast::error_code ec);

  bool do_write(std::vector<std::string> parts, write_kind kind, bool at_once_ok);
  void do_write_rest(write_kind kind);
  /// A write's completion condition that notes progress (for the send deadline).
  struct write_progress {
    std::shared_ptr<session> self;
    std::size_t seen = 0;
    std::size_t operator()(boost::beast::error_code ec, std::size_t n);
  };
  void on_write_rest(write_kind kind, boost::beast::error_code ec, std::size_t);
  void on_write(boost::beast::error_code ec, write_kind kind);
  void release_write();
  void after_write(write_kind kind);

  // Coalescing the responses to pipelined requests: a complete response whose next request
  // waits whole in the buffer is held back (held_), and goes out with the responses after it
  // in one write — the writer's next write, or the session's own at the end of the writer's
  // turn (flush_held). Bounded: see may_hold_back.
  bool may_hold_back(write_kind kind, bool at_once_ok) const;
  bool fits_held_back(std::size_t bytes) const;
  bool hold_flat(outgoing& out, write_kind kind);
  bool held_back(write_kind kind);
  bool next_request_buffered() const;
  void flush_held();
  void on_flushed(boost::beast::error_code ec);
  void after_flush();

  // The one timer. In the reading phases (waiting, reading_header, reading_body) it is that
  // phase's read deadline; while responding, the writer's timer and the send deadline of a
  // write that waits for the client; while lingering, the patience for the client's EOF.
  void arm_read_deadline();
  void wait_for_read_due();
  void on_read_deadline(boost::beast::error_code ec);
  void disarm_read_deadline();
  void timer_taken();
  bool reading() const;
  void do_set_timer(std::chrono::steady_clock::time_point due);
  void do_cancel_timer();
  void arm_response_timer();
  void on_response_timer(boost::beast::error_code ec);

  // HTTP/2: after the preface (plain) or ALPN h2 (TLS), the codec takes over the bytes.
  bool begins_http2(bool still_there);
  void start_http2();
  void h2_receive();
  void h2_schedule_flush();
  void h2_flush();
  void on_h2_written(boost::beast::error_code ec);
  void h2_update_idle();
  void h2_watch_streams();

  void linger();
  void no_delay_from_second_write();
  void set_no_delay();
  void do_close_unless_lingering();
  void do_close();

  /// A message to the writer, with the key that proves it is the connection's (the only
  /// way the session talks to it). Only from the session's strand.
  template <class Atom, class... Ts>
  void tell_writer(Atom atom, Ts&&... xs);

  /// How long a connection that sent its last response waits for the client's EOF (see
  /// lingering_close). Longer than the listener's for its 503: a whole response, however
  /// large, may still be on its way to a slow client, which closes only once it has read it.
  static constexpr auto linger_patience = std::chrono::seconds(2);

  /// The session counted in stats.live_connections until the very end of its destruction:
  /// declared first, so destroyed last. The server stops its io_context once no session is
  /// live, and a session's last reference may be dropped on any thread (a worker's, whose
  /// wake-up of the writer found the session still there: strand_execution_unit::post): the
  /// count falls only once the socket and the timers are gone.
  class live_mark {
  public:
    explicit live_mark(std::atomic<std::int64_t>& live);
    ~live_mark();
    live_mark(const live_mark&) = delete;
    live_mark& operator=(const live_mark&) = delete;

  private:
    std::atomic<std::int64_t>& live_;
  };
  live_mark live_;
  tcp_socket socket_;
  session_shared& shared_;
  /// bounded: read_buffer_max(); its memory recycled per thread (read_buffer_allocator)
  boost::beast::basic_flat_buffer<read_buffer_allocator<char>> buffer_;
  /// Where a lingering close drains to (made only then).
  std::unique_ptr<char[]> linger_scratch_;
  static constexpr std::size_t linger_scratch_size = 1024;
  std::unique_ptr<incoming_request> reading_;  ///< only while a request is read
  /// The last request whose response is done, cleared: it carries the next request read
  /// (request_done, server/request_reuse.hpp). Only while bytes of the next request are
  /// buffered and the connection reads on: one that waits for its client or streams drops it
  /// at the writer's turn's end, one that lingers or closes at once.
  std::shared_ptr<routed_request> spare_request_;
  /// What the wait for the next request reads into (only while that read is pending).
  read_block peek_;
  /// The largest such block a read of this client filled (0: none yet); it sizes the next
  /// (peek_size).
  std::size_t peek_filled_ = 0;
  static constexpr std::size_t first_peek_size = 256;
  static constexpr std::size_t grown_peek_size = 1024;
  /// A read brought this client more than one request: it pipelines.
  bool pipelines_ = false;
  http1_framer framer_;  ///< the writer's responses as HTTP/1.1 bytes (one bool of state)
  phase phase_ = phase::waiting;
  // Beside the phase, three facts that vary within one:
  /// A watch or request read is pending. Within `responding` the watch may be pending or not
  /// (none after a refusal, none while the pipelining buffer is full), and a response may
  /// end (-> waiting, lingering) with the watch still pending, which the next phase then
  /// inherits. (The lingering drain is not counted: nothing waits for it.)
  bool read_pending_ = false;
  /// The read deadline fired and cancelled the pending read. The timer and the read
  /// complete independently, in either order; the read's handler needs to know whether its
  /// deadline passed (a header complete just as the timer fires is not late).
  bool deadline_passed_ = false;
  /// A write is waiting for the client to read (a send deadline runs). Writes are the
  /// writer's, independent of what is read.
  bool write_waiting_ = false;
  caf::actor writer_;
  connection_key key_;  ///< shared with the writer alone
  std::string peer_;  ///< the client's address, for the access log
  std::vector<std::string> out_;  ///< the parts of the write in flight
  std::vector<boost::asio::const_buffer> out_buffers_;  ///< what is left of it
  /// Complete responses (and, behind a flush in flight, the writer's next write) not yet
  /// offered to the socket: at most pipeline_hold_responses responses or
  /// pipeline_hold_bytes, plus one write.
  held_responses held_;
  /// The write in flight is the session's flush of held responses: no writer waits for it.
  bool own_write_ = false;
  /// The writer's write waits in held_ behind that flush; its kind.
  bool writer_write_queued_ = false;
  write_kind queued_kind_ = write_kind::more;
  /// The writer closed while responses were held: they go out first, then a lingering close.
  bool close_after_flush_ = false;
  /// Whether next_request_ wants the watch, started once the writer's turn is over unless the
  /// writer answered it (and the next ones) at once. (The small fields sit together, in the
  /// holes the 8-byte ones would leave: every connection holds the session, ~540 bytes.)
  bool next_request_watch_ = false;
  bool handing_over_ = false;  ///< writer_turn_ended is giving the writer such requests
  /// A request read inside the writer's turn (a pipelined one): given to the writer once the
  /// turn is over (writer_turn_ended).
  std::shared_ptr<routed_request> next_request_;
  io_timer timer_;  ///< what it is for: see phase
  static constexpr auto no_due = std::chrono::steady_clock::time_point::max();
  /// The read deadline of a reading phase (no_due: none), and until when the timer waits for
  /// it (no_due: it does not; see arm_read_deadline).
  std::chrono::steady_clock::time_point read_due_ = no_due;
  std::chrono::steady_clock::time_point read_wait_until_ = no_due;
  std::chrono::steady_clock::time_point writer_due_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point write_progress_;  ///< last byte taken by the socket
  std::chrono::steady_clock::time_point last_read_;  ///< see note_read
  /// When the first byte at the buffer's front arrived (at the latest): see note_read, and
  /// a request read with bytes left behind it (on_read).
  std::chrono::steady_clock::time_point front_arrived_;
  std::uint64_t handed_over_ = 0;  ///< requests handed to the writer (hand_over)
  static constexpr int fd_claimed = -2;  ///< force_shutdown is using native_fd_
  std::atomic<int> native_fd_{-1};  ///< for force_shutdown; -1 once closed
  /// Runs the writer on this session's executor; shared with the writer, which may outlive
  /// the session (strand_execution_unit::exec_later).
  std::shared_ptr<strand_execution_unit> writer_home_;
  std::unique_ptr<http2_codec> h2_;  ///< once the connection speaks HTTP/2
  bool h2_flush_posted_ = false;  ///< an h2_flush is on its way
  bool h2_writing_ = false;  ///< the codec's frames are being written (out_)
  bool h2_closing_ = false;  ///< close once the frames queued (a GOAWAY) are out
  bool wrote_once_ = false;  ///< the connection's first write has started
  bool no_delay_ = false;  ///< TCP_NODELAY is set (see no_delay_from_second_write)
  bool fin_sent_ = false;  ///< the lingering close half-closed the socket
  /// The last request asked to close the connection, and was read whole (so the client
  /// promised to send no more: see client_sends_no_more).
  bool client_closes_ = false;
  bool linger_patience_armed_ = false;  ///< see arm_linger_patience
  /// When an HTTP/2 connection without a stream in the writer's hands idles out.
  std::chrono::steady_clock::time_point h2_idle_due_ = no_due;
  /// When the first HTTP/2 stream passes its send deadline (waiting for its client's window)
  /// or its read deadline (a request not complete).
  std::chrono::steady_clock::time_point h2_streams_due_ = no_due;
};

/// What CAF's make_mailbox_element stores for an argument of type T (an atom constant becomes
/// its atom_value), so that a message run at once is the message the mailbox would hold.
template <class T>
using mailbox_slot =
  typename caf::unbox_message_element<typename caf::detail::strip_and_convert<T>::type>::type;

// Sent from the session's strand: the writer runs at once, so anything the session does
// after a tell_writer must not assume the writer has not acted yet. An idle writer is run for
// the message directly (run_at_once: no mailbox element, no enqueue); a busy one, or one with
// messages waiting, gets it in its mailbox, behind them (and, inside a connection_turn, is
// resumed here unless it runs already).
template <class Atom, class... Ts>
void session::tell_writer(Atom atom, Ts&&... xs) {
  detail::handoff_release(writer_);
  // The writer is always a local scheduled actor: spawn_response_writer made it.
  auto* writer = static_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(writer_));
  if (writer != nullptr && writer_home_->may_run_at_once(*writer)) {
    caf::mailbox_element_vals<mailbox_slot<Atom>, connection_key, mailbox_slot<Ts>...> msg{
      nullptr, caf::make_message_id(), {}, atom, key_, std::forward<Ts>(xs)...};
    return writer_home_->run_at_once(*writer, msg);
  }
  strand_execution_unit::connection_turn turn{*writer_home_};
  caf::anon_send(writer_, atom, key_, std::forward<Ts>(xs)...);
}

}  // namespace fastactor
