#pragma once
// http2_codec: the HTTP/2 side of a connection (RFC 9113), on nghttp2.
//
// nghttp2 does the protocol — framing, HPACK, flow control, the stream state machine and its
// defences (floods of SETTINGS, PING, CONTINUATION or resets); this class feeds it the bytes
// the session reads, answers its callbacks, and turns the writer's writes into its streams:
//
//   client bytes -> receive() -> nghttp2 -> a complete request -> host.h2_request(stream, ...)
//   writer -> write(stream, outgoing) -> the stream's queue -> nghttp2's data source
//   take_output() -> frames for the session's socket write -> written() -> host.h2_write_done
//
// Each stream is a channel of the connection's one writer (connection.hpp). A write is done
// once its bytes were framed and the socket took them: a stream whose window the client keeps
// closed holds its write, and so its producers' acknowledgements, as a slow HTTP/1.1 socket
// does. It runs on the session's strand, beside the writer, and never blocks.

#include "actors/connection.hpp"
#include "server/token_bucket.hpp"
#include <fastactor/config.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/router.hpp>
#include <fastactor/stats.hpp>

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fastactor {

/// What the codec needs from the connection it serves (the session).
class http2_host {
public:
  virtual ~http2_host() = default;
  /// A complete request on stream `ch`, for the writer.
  virtual void h2_request(channel_id ch, std::shared_ptr<routed_request> in) = 0;
  /// The client reset stream `ch`, whose request the writer has.
  virtual void h2_reset(channel_id ch) = 0;
  /// The writer's write on stream `ch` is out.
  virtual void h2_write_done(channel_id ch) = 0;
};

/// The client's connection preface (RFC 9113 3.4): what a plain connection with prior
/// knowledge begins with.
inline constexpr std::string_view h2_client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class http2_codec {
public:
  /// `peer` is the client's address (for requests); `host` outlives the codec.
  /// `stats` counts what HTTP/2 does, `send_timeouts` the streams whose send deadline passed.
  http2_codec(http2_host& host, const server_config& cfg, const router& routes,
              server_stats::http2_counters& stats, std::atomic<std::uint64_t>& send_timeouts,
              std::string peer);
  ~http2_codec();
  http2_codec(const http2_codec&) = delete;
  http2_codec& operator=(const http2_codec&) = delete;

  /// Feeds what the client sent. False if the connection must end (a protocol error: nghttp2
  /// has queued its GOAWAY, which take_output still yields).
  bool receive(const char* data, std::size_t size);

  /// The writer's write on stream `ch` (see connection::write).
  void write(channel_id ch, outgoing out, write_kind kind);

  /// Ends stream `ch` with RST_STREAM(INTERNAL_ERROR): the writer cut its response off.
  void reset(channel_id ch);

  /// Appends the frames nghttp2 has to send (at most about `max` bytes) to `into`; the
  /// writes they complete are reported by written(). Nothing appended: nothing to send now.
  void take_output(std::vector<std::string>& into, std::size_t max);

  /// The socket took everything take_output gave: reports the writes that completes.
  void written();

  /// Server shutdown: GOAWAY, no new streams; the open ones may finish.
  void shut_down();

  /// True while nghttp2 wants to go on (it has not ended the connection, or has frames left).
  bool alive() const;

  /// Streams whose request the writer has and whose response has not ended.
  std::size_t active_streams() const { return active_; }

  /// Each stream's deadlines, as a connection's are over HTTP/1.1 (one timer of the session's
  /// serves them all):
  /// - sending: a stream with bytes to send that took none for --send-timeout-ms (its client
  ///   keeps its window closed) is reset, and its request ends (send_timeouts);
  /// - reading: a request not complete --body-timeout-ms after its HEADERS (a body that never
  ///   ends) gets 408, then RST_STREAM(NO_ERROR) if the client still has not ended it
  ///   (stats.read_timeouts_total).
  /// Acts on the deadlines due at `now`; returns when the next one is due (time_point::max():
  /// none waits).
  std::chrono::steady_clock::time_point expire_streams(std::chrono::steady_clock::time_point now);

private:
  struct stream;
  /// Why a stream's header is refused (431) once its request ends, if it is: past
  /// --max-header-bytes, past --max-header-fields, or past what the connection's streams that
  /// wait for their bodies may keep together.
  enum class too_large { no, bytes, fields, connection };
  static nghttp2_session_callbacks* callbacks();

  stream* find(std::int32_t id);
  void begin_stream(std::int32_t id);
  int on_header(std::int32_t id, std::string_view name, std::string_view value);
  void on_data(std::int32_t id, const std::uint8_t* data, std::size_t size);
  void on_request_end(std::int32_t id);
  void on_stream_close(std::int32_t id, std::uint32_t error);
  void on_end_stream_sent(std::int32_t id);
  ssize_t read_body(std::int32_t id, std::uint8_t* buf, std::size_t length, std::uint32_t* flags);
  int send_data(nghttp2_frame* frame, const std::uint8_t* header, std::size_t length);
  void flush_batch();
  void submit_head(std::int32_t id, stream& st, const response_head& head, bool body_follows);
  void hand_over(std::int32_t id, stream& st, std::shared_ptr<routed_request> in);
  void refuse(std::int32_t id, stream& st, status code, std::string message);
  std::chrono::steady_clock::time_point send_due(const stream& st) const;
  std::chrono::steady_clock::time_point read_due(const stream& st) const;
  void time_out_send(std::int32_t id);
  void time_out_read(std::int32_t id);
  /// Counts the connection in protocol_errors_total (once).
  void count_protocol_error();
  bool empty_frame();
  bool cancel_allowed();
  int drop_headers(stream& st, too_large why);
  void forget_kept_headers(stream& st);

  http2_host& host_;
  const server_config& cfg_;
  const router& routes_;
  server_stats::http2_counters& stats_;
  std::atomic<std::uint64_t>& send_timeouts_;
  std::string peer_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::unique_ptr<stream>> streams_;
  std::size_t active_ = 0;
  /// Of the request bodies of the open streams (read, or held by the writer's scopes).
  std::size_t body_bytes_ = 0;
  /// Of the header fields kept for streams whose request has not ended (as HPACK counts).
  std::size_t kept_header_bytes_ = 0;
  /// 16 headers' worth: 128 KiB by default, room for ~40 uploads with 3 KB of cookies each.
  std::size_t kept_header_bytes_max() const { return 16 * cfg_.max_header_bytes; }
  /// The client flooded nghttp2's outbound queue, sent too many empty frames, or made nghttp2
  /// reset too many requests (see cancel_allowed).
  bool calm_down_ = false;
  /// Requests nghttp2 may still reset for the client's errors (see cancel_allowed): as many as
  /// nghttp2 allows client resets, a burst of 1,000 and 33 a second.
  token_bucket cancels_{1000, 33};
  std::size_t outbound_queue_max() const { return 4 * cfg_.h2_max_streams + 1000; }
  /// Empty DATA frames the client may still send (see empty_frame): a burst, given back whole
  /// by each request that completes, and a few a second.
  token_bucket empty_frames_{100, 10};
  bool failed_ = false;  ///< nghttp2 failed on the client's bytes: it is fed no more
  bool protocol_error_counted_ = false;
  /// Streams whose write completes with the frames taken since the last take_output, and with
  /// those of the socket write under way.
  std::vector<channel_id> completing_;
  std::vector<channel_id> completed_by_write_;
  /// While take_output runs: where the write's parts go, how many bytes they hold, and the
  /// frames mem_send gave since the last part.
  std::vector<std::string>* sink_ = nullptr;
  std::size_t sink_bytes_ = 0;
  std::string batch_;
};

}  // namespace fastactor
