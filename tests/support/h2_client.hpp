#pragma once
// HTTP/2 for tests, from the client's side. Three layers:
// - h2_client: a well-behaved client (nghttp2's client session) for what a browser does:
//   requests on concurrent streams, request bodies (whole or piece by piece), resets, and
//   flow-control knobs for a client that reads slowly or never opens its window. It records
//   what each stream received, and when, like http_client does for HTTP/1.1.
// - h2_raw: a socket that writes whatever bytes a test builds and parses what comes back
//   into frames, with no HTTP/2 state at all: for attacks and GOAWAY/RST_STREAM assertions.
// - builders for frames and HPACK blocks, the attacks' ammunition (stateless, no nghttp2).
// Both connections speak plain TCP (HTTP/2 with prior knowledge) or TLS with ALPN "h2"
// (support/transport.hpp), and drive their socket themselves with poll() and deadlines: a
// call never blocks beyond the wait the test gave it.

#include "support/http_client.hpp"
#include "support/transport.hpp"

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace testing {

/// Header fields in order, as sent (names should be lower-case in HTTP/2).
using name_value = std::vector<std::pair<std::string, std::string>>;
/// SETTINGS entries: identifier (NGHTTP2_SETTINGS_...) and value.
using h2_setting_list = std::vector<std::pair<std::uint16_t, std::uint32_t>>;

namespace detail {
class h2_wire;  // the socket, plain or TLS (h2_client.cpp)
}  // namespace detail

/// What one stream received.
struct h2_response {
  int status = 0;  ///< the final status (0: no response head yet)
  std::vector<int> informational;  ///< 1xx statuses before it, in order
  std::map<std::string, std::string> headers;  ///< lower-case names, no pseudo-headers
  std::map<std::string, std::string> trailers;
  std::string body;
  std::vector<std::pair<clock_type::time_point, std::string>> arrivals;  ///< DATA pieces
  bool ended = false;  ///< END_STREAM received
  /// RST_STREAM's error code if the stream was reset, by either side (set as soon as the
  /// test asks for a reset); reset_by_server: the server's own RST_STREAM.
  std::optional<std::uint32_t> reset;
  std::optional<std::uint32_t> reset_by_server;
  /// nghttp2 closed the stream (ended both ways, reset, refused by a GOAWAY, ...), with this
  /// error code (0: NO_ERROR).
  bool closed = false;
  std::uint32_t close_error = 0;

  /// A header's value ("" if absent).
  std::string header(const std::string& name) const;
  /// Ended, reset, or closed: nothing more will come.
  bool done() const { return ended || reset || closed; }
};

/// A frame as received (h2_raw, and h2_client's log of frames).
struct h2_frame_in {
  std::uint8_t type = 0;  ///< NGHTTP2_DATA, NGHTTP2_GOAWAY, ...
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
  std::string payload;  ///< h2_client's log keeps it empty
  clock_type::time_point at;

  /// RST_STREAM's or GOAWAY's error code (0 for other types or a short payload).
  std::uint32_t error_code() const;
  /// GOAWAY's last stream ID.
  std::uint32_t last_stream() const;
  /// GOAWAY's debug data.
  std::string debug_data() const;
};

/// How an h2_client starts, beyond the transport.
struct h2_options {
  /// SETTINGS_INITIAL_WINDOW_SIZE we announce: 0 makes the server send no DATA on a stream
  /// until window_update() opens it.
  std::uint32_t initial_window = 65535;
  /// Our connection-level receive window (the protocol starts it at 65535; a larger one is
  /// announced with a WINDOW_UPDATE on stream 0).
  std::uint32_t connection_window = 65535;
  /// True: DATA is acknowledged as it arrives (the windows reopen). False: only consume()
  /// acknowledges, so a stream's window closes once it received that much (a slow reader).
  bool auto_consume = true;
  /// More SETTINGS entries, sent as given after ours (and taking precedence).
  h2_setting_list settings;
  /// The constructor waits (up to its timeout) for the SETTINGS exchange: connected().
  bool wait_connected = true;
};

/// One HTTP/2 client connection to 127.0.0.1:port (nghttp2's client session).
class h2_client {
public:
  using ms = std::chrono::milliseconds;

  /// Connects (with TLS: handshakes offering ALPN "h2" when `how` offers the default
  /// http/1.1; other ALPN lists are offered as given), sends the preface and SETTINGS, and
  /// waits up to `timeout` for the server's SETTINGS and its ACK of ours. Throws
  /// std::runtime_error if the TCP connect or the TLS handshake fails; a server that does not
  /// answer in HTTP/2 leaves connected() false.
  explicit h2_client(std::uint16_t port, transport how = transport::from_environment(),
                     ms timeout = std::chrono::seconds(10), h2_options options = {});
  ~h2_client();
  h2_client(const h2_client&) = delete;
  h2_client& operator=(const h2_client&) = delete;

  /// The preface and SETTINGS were exchanged (the server's arrived, ours were acknowledged).
  bool connected() const { return remote_settings_ && settings_acked_; }

  /// Opens a stream: `method` on `path` (with :scheme, :authority 127.0.0.1:port; a
  /// pseudo-header in `headers` replaces ours), then `body` and END_STREAM (on the HEADERS
  /// frame if the body is empty). Returns the stream ID, or a negative nghttp2 error (e.g.
  /// NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE after a GOAWAY). Requests beyond the server's
  /// SETTINGS_MAX_CONCURRENT_STREAMS wait in nghttp2 until a stream closes.
  std::int32_t submit(const std::string& method, const std::string& path,
                      const name_value& headers = {}, std::string body = {});
  /// Like submit(), but the body is to come from send_body(): the stream stays open.
  std::int32_t submit_open(const std::string& method, const std::string& path,
                           const name_value& headers = {});
  /// More of an open stream's body; `end` sends END_STREAM after it.
  void send_body(std::int32_t id, std::string_view bytes, bool end = false);
  /// Sends RST_STREAM (if the request already left; else nghttp2 drops it unsent).
  void reset_stream(std::int32_t id, std::uint32_t error = NGHTTP2_CANCEL);
  /// Sends a PING; pings_acked() counts the answers.
  void ping();
  /// Sends GOAWAY (the client is leaving); the connection stays open.
  void goaway(std::uint32_t error = NGHTTP2_NO_ERROR);
  /// Writes `bytes` as they are, after whatever nghttp2 sent before, and waits up to the
  /// timeout for the socket to take them (reading meanwhile): false if it did not. nghttp2
  /// knows nothing of them, so answers to them may make its session fail (h2_raw is the
  /// tool for talking nonsense).
  bool send_raw(std::string_view bytes);
  /// Closes the socket at once (a client that vanishes).
  void close();

  /// Flow control (h2_options::auto_consume false): acknowledges `n` bytes of stream `id`
  /// (and of the connection): nghttp2 sends WINDOW_UPDATEs when half a window is consumed.
  void consume(std::int32_t id, std::size_t n);
  /// Received, not yet consumed bytes of a stream.
  std::size_t unconsumed(std::int32_t id) const;
  /// Turns auto_consume on (consuming what waits) or off.
  void set_auto_consume(bool on);
  /// Opens a window wider by `increment` (stream 0: the connection's) with a WINDOW_UPDATE
  /// (the way to open a stream when initial_window is 0).
  void window_update(std::int32_t id, std::int32_t increment);

  /// Runs the connection (writes, reads, callbacks) until pred() holds, the time is up, or
  /// nothing more can happen (the server closed the connection): returns pred(). One
  /// non-blocking round at least, so what was submitted leaves even with a wait of 0.
  bool run_until(const std::function<bool()>& pred, ms wait);
  /// Runs until stream `id` is done (ended, reset or closed): whether it is.
  bool wait_for(std::int32_t id, ms wait);
  /// Runs for `wait`, whatever happens (for tests that expect nothing).
  void run_for(ms wait);

  /// What stream `id` received so far (std::out_of_range for an ID submit() did not give).
  h2_response& response(std::int32_t id);
  const h2_response& response(std::int32_t id) const;

  /// The server's GOAWAY: its error code (empty if none came), last stream ID (-1 if none)
  /// and debug data.
  std::optional<std::uint32_t> goaway_error() const { return goaway_error_; }
  std::int32_t goaway_last_stream() const { return goaway_last_stream_; }
  const std::string& goaway_debug() const { return goaway_debug_; }
  /// The server closed the TCP connection (or reset it: a write failed).
  bool closed() const;
  /// A setting from the server's SETTINGS (nghttp2's default if it did not send it).
  std::uint32_t remote_setting(nghttp2_settings_id id) const;
  std::uint32_t remote_max_concurrent_streams() const {
    return remote_setting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  }
  /// The server's PING ACKs.
  int pings_acked() const { return pings_acked_; }
  /// Every frame received (payloads not kept), in order.
  const std::vector<h2_frame_in>& frames() const { return frames_; }
  /// What went wrong in nghttp2 (a fatal receive error, a protocol error it saw), in order.
  const std::vector<std::string>& errors() const { return errors_; }
  /// The TLS connection (ALPN, version), null over plain TCP.
  const tls_stream* tls() const;
  nghttp2_session* native() const { return session_; }

private:
  struct body_source;  // a request body on its way out
  struct callbacks;  // nghttp2's callbacks, friends of this class

  std::int32_t submit_stream(const std::string& method, const std::string& path,
                             const name_value& headers, std::unique_ptr<body_source> body);
  void produce();  ///< nghttp2's output into the wire's queue
  void feed();  ///< the wire's input into nghttp2
  void round();  ///< one non-blocking round of both
  void release(std::int32_t id);  ///< a closed stream's unconsumed bytes, at connection level

  std::unique_ptr<detail::h2_wire> wire_;
  nghttp2_session* session_ = nullptr;
  std::string authority_, scheme_;
  ms timeout_;
  bool auto_consume_;
  bool failed_ = false;  ///< nghttp2's session hit a fatal error: it is fed no more
  bool remote_settings_ = false;
  bool settings_acked_ = false;
  int pings_acked_ = 0;
  std::optional<std::uint32_t> goaway_error_;
  std::int32_t goaway_last_stream_ = -1;
  std::string goaway_debug_;
  std::string input_;  ///< read, not yet given to nghttp2
  std::map<std::int32_t, h2_response> responses_;
  std::map<std::int32_t, std::unique_ptr<body_source>> bodies_;
  std::map<std::int32_t, std::size_t> unconsumed_;
  std::map<std::int32_t, bool> in_trailers_;  ///< the header block being read is trailers
  std::vector<h2_frame_in> frames_;
  std::vector<std::string> errors_;
};

/// A raw HTTP/2 connection: the test writes bytes, this parses what comes back into frames.
/// Nothing is answered on its own (not even SETTINGS: handshake() does that once).
class h2_raw {
public:
  using ms = std::chrono::milliseconds;

  /// Connects (TLS as for h2_client: ALPN "h2"); sends nothing. Throws if the TCP connect or
  /// the TLS handshake fails.
  explicit h2_raw(std::uint16_t port, transport how = transport::from_environment(),
                  ms timeout = std::chrono::seconds(10));
  ~h2_raw();
  h2_raw(const h2_raw&) = delete;
  h2_raw& operator=(const h2_raw&) = delete;

  /// The well-behaved opening: preface, SETTINGS `settings`, then waits (up to the timeout)
  /// for the server's SETTINGS and acknowledges them. False if they did not come.
  bool handshake(const h2_setting_list& settings = {});
  /// Writes `bytes`, reading meanwhile (a server that answers a flood must not stall it), for
  /// at most `wait` (default: the timeout): how many bytes the connection took. Fewer: the
  /// server stopped reading, or the connection broke.
  std::size_t send(std::string_view bytes);
  std::size_t send(std::string_view bytes, ms wait);

  /// Reads until pred() holds, the time is up, or the server closed: returns pred().
  bool run_until(const std::function<bool()>& pred, ms wait);
  /// The first frame of `type` received (now or within `wait`), on `stream` if given.
  std::optional<h2_frame_in> wait_for_frame(std::uint8_t type, ms wait,
                                            std::optional<std::uint32_t> stream = std::nullopt);
  /// The first GOAWAY received (now or within `wait`).
  std::optional<h2_frame_in> wait_for_goaway(ms wait) {
    return wait_for_frame(NGHTTP2_GOAWAY, wait);
  }
  /// True if the server closed the connection within `wait`.
  bool closed_within(ms wait);

  /// Frames received so far, in order.
  const std::vector<h2_frame_in>& frames() const { return frames_; }
  /// How many frames of `type` came.
  std::size_t count(std::uint8_t type) const;
  /// The first received frame of `type` (on `stream` if given), if any.
  std::optional<h2_frame_in> find(std::uint8_t type,
                                  std::optional<std::uint32_t> stream = std::nullopt) const;
  /// Every byte received, frames or not (an HTTP/1.1 answer to a bad preface, say).
  const std::string& received() const { return received_; }
  /// The server closed the connection (or reset it).
  bool closed() const;
  /// Closes the socket at once.
  void close();
  const tls_stream* tls() const;

private:
  void pump();  ///< one non-blocking round: write, read, parse

  std::unique_ptr<detail::h2_wire> wire_;
  ms timeout_;
  std::string received_;
  std::size_t parsed_ = 0;  ///< received_[0, parsed_) made frames
  std::vector<h2_frame_in> frames_;
};

// ----- Frame builders (RFC 9113 section 4.1): bytes exactly as built, no checks -----

/// The client connection preface's magic ("PRI * HTTP/2.0...").
std::string h2_preface();
/// A frame header: `length` as given (it may lie about the payload that follows).
std::string h2_frame_header(std::uint32_t length, std::uint8_t type, std::uint8_t flags,
                            std::uint32_t stream);
/// A whole frame: header (with the payload's length) and payload.
std::string h2_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                     std::string_view payload);
std::string h2_settings(const h2_setting_list& settings = {});
std::string h2_settings_ack();
/// PING with 8 bytes of `opaque`.
std::string h2_ping(std::uint64_t opaque = 0, bool ack = false);
/// HEADERS carrying `block` (an HPACK block: hpack_request, hpack_bomb, ...); without
/// END_HEADERS, CONTINUATION frames must follow.
std::string h2_headers(std::uint32_t stream, std::string_view block, bool end_stream = true,
                       bool end_headers = true);
std::string h2_continuation(std::uint32_t stream, std::string_view block, bool end_headers);
std::string h2_data(std::uint32_t stream, std::string_view data, bool end_stream = false);
std::string h2_rst_stream(std::uint32_t stream, std::uint32_t error = NGHTTP2_CANCEL);
std::string h2_window_update(std::uint32_t stream, std::uint32_t increment);
std::string h2_goaway(std::uint32_t last_stream, std::uint32_t error = NGHTTP2_NO_ERROR,
                      std::string_view debug = {});
std::string h2_priority(std::uint32_t stream, std::uint32_t depends_on, std::uint8_t weight = 15,
                        bool exclusive = false);
/// Rapid reset (CVE-2023-44487): `count` requests on streams first, first+2, ..., each
/// HEADERS (`block`, END_STREAM) followed at once by RST_STREAM CANCEL.
std::string h2_rapid_reset(std::uint32_t first_stream, int count, std::string_view block);

// ----- HPACK (RFC 7541) blocks, stateless unless the name says it indexes -----

/// An integer with an N-bit prefix, `first` holding the bits above the prefix.
std::string hpack_integer(std::uint64_t value, int prefix_bits, std::uint8_t first = 0);
/// A literal field without indexing, new name, no Huffman: touches no table.
std::string hpack_literal(std::string_view name, std::string_view value);
/// A literal field with incremental indexing, new name: enters the decoder's dynamic table
/// (as index 62, the newest entry).
std::string hpack_indexed_literal(std::string_view name, std::string_view value);
/// An indexed field (static 1-61, dynamic from 62).
std::string hpack_index(std::uint32_t index);
/// A request's block, literals only: :method, :scheme, :authority, :path, then `extra`.
std::string hpack_request(std::string_view method = "GET", std::string_view path = "/",
                          std::string_view scheme = "http",
                          std::string_view authority = "127.0.0.1", const name_value& extra = {});
/// An HPACK bomb: a GET whose block enters one field of `value_size` bytes into the dynamic
/// table, then refers to it `references` times, one byte each: decoded, about
/// references x value_size bytes of header from a block of about `references` bytes. (The
/// entry must fit the 4096-byte table: value_size at most about 4050.)
std::string hpack_bomb(std::size_t references, std::size_t value_size = 4000,
                       std::string_view scheme = "http");

}  // namespace testing
