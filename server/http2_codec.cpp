#include "server/http2_codec.hpp"

#include "protocol/http_date.hpp"
#include "protocol/release_memory.hpp"
#include "server/request_reader.hpp"
#include <fastactor/status.hpp>

#include <algorithm>
#include <cctype>

namespace fastactor {

/// One stream: its request while it is read, then its response's queue.
struct http2_codec::stream {
  // The request, until it is handed over.
  std::string method, path, authority;
  name_value_list headers;
  std::string body;
  std::size_t header_bytes = 0;  ///< as HPACK counts them (name + value + 32 per field)
  std::size_t header_fields = 0;
  std::size_t kept_header_bytes = 0;  ///< of the fields kept in `headers` (as HPACK counts)
  std::size_t body_bytes = 0;  ///< of the request body, held (by the writer too) until close
  too_large header_too_large = too_large::no;  ///< its header is refused (431) when it ends
  bool handed_over = false;  ///< the writer has it (or its refusal)
  bool reset_by_client = false;  ///< an RST_STREAM from the client ended it (nghttp2 counts it)
  bool has_cookie = false;  ///< a cookie field came: more count as one field (joined later)
  /// When its HEADERS came: the read deadline (--body-timeout-ms) counts from here.
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();

  // The response.
  std::deque<std::string> queue;  ///< body bytes not yet sent
  std::size_t front_offset = 0;  ///< of queue.front(), already sent
  /// Bytes of the queue not yet promised to a DATA frame (read_body promises, send_data
  /// takes them from the queue's front).
  std::size_t unframed = 0;
  bool body_ends = false;  ///< the writer's last write came: the queue is the rest
  name_value_list trailers;  ///< sent after the queue, with END_STREAM
  bool write_waiting = false;  ///< the writer waits for its write's completion
  bool response_done = false;  ///< END_STREAM sent, or the stream reset
  /// When nghttp2 last took bytes of the queue (or the queue was empty): the send deadline.
  std::chrono::steady_clock::time_point progress = std::chrono::steady_clock::now();
};

namespace {

http2_codec* codec_of(void* user_data) {
  return static_cast<http2_codec*>(user_data);
}

std::string_view view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

nghttp2_nv field(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

std::string lower(std::string_view name) {
  std::string out{name};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// -- callbacks (nghttp2 calls them from mem_recv and mem_send, on the session's strand) ------

nghttp2_session_callbacks* http2_codec::callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
      c, [](nghttp2_session*, const nghttp2_frame* frame, void* ud) {
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
          codec_of(ud)->begin_stream(frame->hd.stream_id);
        return 0;
      });
    nghttp2_session_callbacks_set_on_header_callback(
      c,
      [](nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
         std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
         void* ud) {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
          return 0;  // a request's trailer section: not kept
        return codec_of(ud)->on_header(frame->hd.stream_id, view(name, namelen),
                                       view(value, valuelen));
      });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      c,
      [](nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len,
         void* ud) {
        codec_of(ud)->on_data(id, data, len);
        return 0;
      });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
      c, [](nghttp2_session*, const nghttp2_frame* frame, void* ud) {
        auto type = frame->hd.type;
        if (type == NGHTTP2_DATA && frame->hd.length == 0
            && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && !codec_of(ud)->empty_frame())
          return static_cast<int>(NGHTTP2_ERR_CALLBACK_FAILURE);
        if (type == NGHTTP2_RST_STREAM) {  // (before nghttp2 closes the stream)
          if (auto* st = codec_of(ud)->find(frame->hd.stream_id))
            st->reset_by_client = true;
          return 0;
        }
        if ((type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)
            && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
          codec_of(ud)->on_request_end(frame->hd.stream_id);
        else if (type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
          if (auto* st = codec_of(ud)->find(frame->hd.stream_id);
              st && st->header_too_large != too_large::no)
            codec_of(ud)->on_request_end(frame->hd.stream_id);  // answered now: 431
        return 0;
      });
    nghttp2_session_callbacks_set_on_frame_send_callback(
      c, [](nghttp2_session*, const nghttp2_frame* frame, void* ud) {
        auto type = frame->hd.type;
        if ((type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)
            && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
          codec_of(ud)->on_end_stream_sent(frame->hd.stream_id);
        else if (type == NGHTTP2_GOAWAY) {
          codec_of(ud)->stats_.goaways_total.fetch_add(1, std::memory_order_relaxed);
          // Most connection errors nghttp2 answers itself (a stream over the limit, a closed
          // stream's ID, the first frame not SETTINGS, too many resets): its GOAWAY says so.
          if (frame->goaway.error_code != NGHTTP2_NO_ERROR)
            codec_of(ud)->count_protocol_error();
        }
        return 0;
      });
    nghttp2_session_callbacks_set_send_data_callback(
      c,
      [](nghttp2_session*, nghttp2_frame* frame, const std::uint8_t* framehd, std::size_t length,
         nghttp2_data_source*,
         void* ud) { return codec_of(ud)->send_data(frame, framehd, length); });
    nghttp2_session_callbacks_set_on_stream_close_callback(
      c, [](nghttp2_session*, std::int32_t id, std::uint32_t error, void* ud) {
        codec_of(ud)->on_stream_close(id, error);
        return 0;
      });
    return c;
  }();
  return cbs;
}

http2_codec::http2_codec(http2_host& host, const server_config& cfg, const router& routes,
                         server_stats::http2_counters& stats,
                         std::atomic<std::uint64_t>& send_timeouts, std::string peer)
  : host_(host), cfg_(cfg), routes_(routes), stats_(stats), send_timeouts_(send_timeouts),
    peer_(std::move(peer)) {
  stats_.connections_total.fetch_add(1, std::memory_order_relaxed);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // nghttp2's defences, stated: at most 8 CONTINUATION frames per header block
  // (CVE-2024-27316), 1,000 queued SETTINGS/PING acknowledgements (floods), and client resets
  // at a sustained 33 per second with a burst of 1,000 (rapid reset, CVE-2023-44487).
  nghttp2_option_set_max_continuations(opt, 8);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_session_server_new2(&session_, callbacks(), this, opt);
  nghttp2_option_del(opt);
  const nghttp2_settings_entry settings[] = {
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, static_cast<std::uint32_t>(cfg.h2_max_streams)},
    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(cfg.max_header_bytes)},
    {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
}

http2_codec::~http2_codec() {
  nghttp2_session_del(session_);
}

http2_codec::stream* http2_codec::find(std::int32_t id) {
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : i->second.get();
}

// -- requests ---------------------------------------------------------------------------------

bool http2_codec::receive(const char* data, std::size_t size) {
  if (failed_)  // the connection ends: what more the client sends is dropped (nghttp2 would
    return false;  // fail on it again)
  // Too many requests cancelled (calm_down_ set by on_stream_close, maybe while the last
  // output was made): the client's next bytes are not read, and the connection ends.
  auto rv = calm_down_
    ? static_cast<ssize_t>(NGHTTP2_ERR_FLOODED)
    : nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(data), size);
  if (rv >= 0 && calm_down_)
    rv = NGHTTP2_ERR_FLOODED;
  // What the client makes nghttp2 queue (HEADERS and RST_STREAM for its streams, WINDOW_UPDATEs,
  // acknowledgements) waits for the socket; a client that sends but does not read would have
  // it grow without end (nghttp2 1.52 bounds only the acknowledgements). A well-behaved
  // connection queues a few frames per open stream.
  if (rv >= 0 && nghttp2_session_get_outbound_queue_size(session_) > outbound_queue_max()) {
    calm_down_ = true;
    rv = NGHTTP2_ERR_FLOODED;
  }
  if (rv >= 0)
    return true;
  failed_ = true;
  count_protocol_error();
  // nghttp2 queues a GOAWAY for most errors itself; for these it cannot. A flood it counts
  // (acknowledgements the client does not read, CONTINUATION frames) is ENHANCE_YOUR_CALM, as
  // nghttp2 answers too many SETTINGS entries; anything else (a bad preface) PROTOCOL_ERROR.
  auto code = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS || calm_down_
    ? NGHTTP2_ENHANCE_YOUR_CALM
    : NGHTTP2_PROTOCOL_ERROR;
  nghttp2_session_terminate_session(session_, code);
  return false;
}

// Empty DATA frames that do not end a stream carry nothing: a flood of them only makes the
// server work (CVE-2019-9518), and nghttp2 1.52 does not limit them. But a client may send
// one now and then (an empty write flushed), and a connection may live for days: so the
// allowance is a token bucket, as nghttp2's for resets. Each completed request gives back the
// whole burst (a flood then costs a request per 100 frames: no more than the requests
// themselves), and time a few a second (a long upload that flushes now and then).
bool http2_codec::empty_frame() {
  if (empty_frames_.take())
    return true;
  calm_down_ = true;
  return false;
}

// Requests the writer had that nghttp2 reset for an error of the client's (a WINDOW_UPDATE
// that overflows a stream's window, ...) before their response ended. nghttp2 1.52 limits only
// the resets the client sends (CVE-2023-44487, a bucket of 1,000 and 33/s); the ones it sends
// for a client's errors are as cheap to cause and start as many handlers (MadeYouReset,
// CVE-2025-8671). So they count against a bucket of their own, as large as nghttp2's.
bool http2_codec::cancel_allowed() {
  return cancels_.take();
}

void http2_codec::count_protocol_error() {
  if (!std::exchange(protocol_error_counted_, true))
    stats_.protocol_errors_total.fetch_add(1, std::memory_order_relaxed);
}

void http2_codec::begin_stream(std::int32_t id) {
  streams_.emplace(id, std::make_unique<stream>());
}

int http2_codec::on_header(std::int32_t id, std::string_view name, std::string_view value) {
  auto* st = find(id);
  if (!st || st->handed_over)
    return 0;
  auto bytes = name.size() + value.size() + 32;
  st->header_bytes += bytes;
  // Counted as the fields of the request the handler sees: pseudo-header fields are not,
  // but :authority becomes Host.
  // Browsers send each cookie as a field of its own (RFC 9113 8.2.3): they count as one, the
  // field they are joined into.
  bool another_cookie = name == "cookie" && std::exchange(st->has_cookie, true);
  if ((name.empty() || name.front() != ':' || name == ":authority") && !another_cookie)
    ++st->header_fields;
  if (st->header_too_large != too_large::no)
    return 0;
  // An HPACK bomb stops here; so do the headers of many streams that wait for their bodies:
  // together they may hold a few headers' worth, not --h2-max-streams of them.
  if (st->header_bytes > cfg_.max_header_bytes)
    return drop_headers(*st, too_large::bytes);
  if (st->header_fields > cfg_.max_header_fields)
    return drop_headers(*st, too_large::fields);
  if (kept_header_bytes_ + bytes > kept_header_bytes_max())
    return drop_headers(*st, too_large::connection);
  st->kept_header_bytes += bytes;
  kept_header_bytes_ += bytes;
  if (name == ":method")
    st->method = value;
  else if (name == ":path")
    st->path = value;
  else if (name == ":authority")
    st->authority = value;
  else if (name.empty() || name.front() != ':')
    st->headers.emplace_back(name, value);
  return 0;
}

// The stream's header is refused once its request ends (431): what it kept is let go.
int http2_codec::drop_headers(stream& st, too_large why) {
  st.header_too_large = why;
  release_memory(st.headers);
  forget_kept_headers(st);
  return 0;
}

void http2_codec::forget_kept_headers(stream& st) {
  kept_header_bytes_ -= st.kept_header_bytes;
  st.kept_header_bytes = 0;
}

void http2_codec::on_data(std::int32_t id, const std::uint8_t* data, std::size_t size) {
  auto* st = find(id);
  if (!st || st->handed_over)
    return;
  if (st->body.size() + size > cfg_.max_body_bytes)
    return refuse(id, *st, status::content_too_large,
                  "request body larger than " + std::to_string(cfg_.max_body_bytes) + " bytes");
  // Up to --h2-max-streams requests are open at once: together their bodies (read, or held by
  // the writer's scopes until the stream closes) may hold what one HTTP/1.1 request may, not a
  // hundred times that.
  if (body_bytes_ + size > cfg_.max_body_bytes)
    return refuse(id, *st, status::content_too_large,
                  "the request bodies of this connection's open streams passed "
                    + std::to_string(cfg_.max_body_bytes) + " bytes together");
  st->body.append(reinterpret_cast<const char*>(data), size);
  st->body_bytes += size;
  body_bytes_ += size;
}

void http2_codec::on_request_end(std::int32_t id) {
  auto* st = find(id);
  if (!st || st->handed_over || calm_down_)  // (calm_down_: the connection ends; no new work)
    return;
  empty_frames_.refill();  // see empty_frame
  switch (st->header_too_large) {
    case too_large::no: break;
    case too_large::bytes:
      return refuse(id, *st, status::request_header_fields_too_large,
                    "request header fields larger than " + std::to_string(cfg_.max_header_bytes)
                      + " bytes");
    case too_large::fields:
      return refuse(id, *st, status::request_header_fields_too_large,
                    "request header has more than " + std::to_string(cfg_.max_header_fields)
                      + " fields");
    case too_large::connection:
      return refuse(id, *st, status::request_header_fields_too_large,
                    "the request headers of this connection's streams that wait for their "
                    "bodies passed "
                      + std::to_string(kept_header_bytes_max()) + " bytes together");
  }
  // Routed as an HTTP/1.1 request would be (nghttp2 has checked the pseudo-header fields and
  // refused connection-specific ones): the same target parser and router.
  auto in = std::make_shared<routed_request>();
  auto& req = in->req;
  req.method = parse_method(st->method);
  if (req.method == method::other)
    req.other_method = std::move(st->method);
  req.target = std::move(st->path);
  req.version = 20;
  req.peer = peer_;
  req.keep_alive = true;
  req.headers.reserve(st->headers.size() + 1);
  if (!st->authority.empty())
    req.headers.emplace_back("Host", std::move(st->authority));
  // Cookie fields are joined with "; " into one (RFC 9113 8.2.3), as an HTTP/1.1 client
  // sends them: a handler reads one Cookie header whichever protocol brought it.
  std::string cookies;
  for (auto& field : st->headers) {
    if (field.first != "cookie") {
      req.headers.push_back(std::move(field));
      continue;
    }
    if (!cookies.empty())
      cookies += "; ";
    cookies += field.second;
  }
  if (st->has_cookie)
    req.headers.emplace_back("cookie", std::move(cookies));
  req.body = std::move(st->body);
  st->body.clear();
  st->headers.clear();
  forget_kept_headers(*st);
  route(*in, routes_);
  hand_over(id, *st, std::move(in));
}

void http2_codec::refuse(std::int32_t id, stream& st, status code, std::string message) {
  auto in = refused_request({code, std::move(message)});
  in->req.version = 20;
  in->req.peer = peer_;
  hand_over(id, st, std::move(in));
}

void http2_codec::hand_over(std::int32_t id, stream& st, std::shared_ptr<routed_request> in) {
  st.handed_over = true;
  in->arrived = st.began;  // its HEADERS began: an upload and the wait for its turn count
  release_memory(st.body);
  release_memory(st.headers);  // (a refusal before the request's end lets them go at once)
  forget_kept_headers(st);
  ++active_;
  stats_.streams_total.fetch_add(1, std::memory_order_relaxed);
  host_.h2_request(static_cast<channel_id>(id), std::move(in));
}

// A stream closes when both sides ended it, or a reset ended it. If its response had not ended,
// the client reset it (or nghttp2 did, for an error of the client's): its request ends.
void http2_codec::on_stream_close(std::int32_t id, std::uint32_t) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  auto& st = *i->second;
  body_bytes_ -= st.body_bytes;  // its request is over: its body no longer held
  forget_kept_headers(st);
  bool reset_by_client = st.reset_by_client;
  bool cancelled = st.handed_over && !st.response_done;
  if (cancelled)
    --active_;
  streams_.erase(i);
  if (cancelled) {
    stats_.client_resets_total.fetch_add(1, std::memory_order_relaxed);
    host_.h2_reset(static_cast<channel_id>(id));
    if (!reset_by_client && !cancel_allowed())
      calm_down_ = true;  // receive() or take_output() ends the connection
  }
}

// -- responses --------------------------------------------------------------------------------

void http2_codec::write(channel_id ch, outgoing out, write_kind kind) {
  auto id = static_cast<std::int32_t>(ch);
  auto* st = find(id);
  if (!st || st->response_done)
    return;  // reset meanwhile: the writer has heard, or hears next
  st->write_waiting = true;
  if (st->queue.empty())
    st->progress = std::chrono::steady_clock::now();
  for (auto& part : out.body)
    if (!part.empty()) {
      st->unframed += part.size();
      st->queue.push_back(std::move(part));
    }
  if (kind != write_kind::more) {
    st->body_ends = true;
    st->trailers = std::move(out.trailers);
  }
  if (out.head)
    return submit_head(id, *st, *out.head, kind == write_kind::more || out.body_bytes > 0);
  nghttp2_session_resume_data(session_, id);
}

void http2_codec::submit_head(std::int32_t id, stream& st, const response_head& head,
                              bool body_follows) {
  std::vector<std::string> owned;  // lower-cased names (HTTP/2 field names are lower case)
  owned.reserve((head.fields ? head.fields->size() : 0) + 2);
  std::vector<nghttp2_nv> nva;
  nva.reserve(owned.capacity() + 5);
  auto status_text = std::to_string(code(head.code));
  nva.push_back(field(":status", status_text));
  nva.push_back(field("server", head.server_name));
  auto date = http_date_now();
  nva.push_back(field("date", date));
  for_each_head_field(head, [&](std::string_view name, std::string_view value) {
    owned.push_back(lower(name));  // (reserved: the names' addresses stay put)
    nva.push_back(field(owned.back(), value));
  });
  std::string length;
  if (head.body == framing::content_length) {
    length = std::to_string(head.content_length);
    nva.push_back(field("content-length", length));
  }
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = [](nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                          std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                          void* ud) {
    return codec_of(ud)->read_body(stream_id, buf, length, flags);
  };
  // nghttp2 copies the fields (no NO_COPY flags): the strings here may go.
  nghttp2_submit_response(session_, id, nva.data(), nva.size(), body_follows ? &body : nullptr);
}

// nghttp2 asks for at most one frame's worth, as the stream's and the connection's windows
// allow. The bytes are not copied into nghttp2's frame buffer (NO_COPY): send_data hands the
// queue's own strings to the socket write. An empty queue defers the stream until the
// writer's next write resumes it.
ssize_t http2_codec::read_body(std::int32_t id, std::uint8_t*, std::size_t length,
                               std::uint32_t* flags) {
  auto* st = find(id);
  if (!st)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  auto copied = std::min(length, st->unframed);
  if (copied > 0) {
    st->progress = std::chrono::steady_clock::now();
    st->unframed -= copied;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  }
  if (st->unframed > 0)
    return static_cast<ssize_t>(copied);
  if (st->body_ends) {  // completes with END_STREAM (on_end_stream_sent)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!st->trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<std::string> names;
      names.reserve(st->trailers.size());
      std::vector<nghttp2_nv> nva;
      for (const auto& [name, value] : st->trailers) {
        names.push_back(lower(name));
        nva.push_back(field(names.back(), value));
      }
      nghttp2_submit_trailer(session_, id, nva.data(), nva.size());
    }
    return static_cast<ssize_t>(copied);
  }
  if (st->write_waiting) {  // all of the write is in frames now
    st->write_waiting = false;
    completing_.push_back(static_cast<channel_id>(id));
  }
  return copied > 0 ? static_cast<ssize_t>(copied) : NGHTTP2_ERR_DEFERRED;
}

void http2_codec::on_end_stream_sent(std::int32_t id) {
  auto* st = find(id);
  if (!st || st->response_done)
    return;
  st->response_done = true;
  if (st->handed_over)
    --active_;
  if (std::exchange(st->write_waiting, false))
    completing_.push_back(static_cast<channel_id>(id));
  // Answered before the client ended its request (a refusal: 408, 413, 431): it may stop
  // sending (RFC 9113 8.1), and the stream's slot and body budget are free at once, not when
  // the client gets round to ending a body nobody reads.
  if (nghttp2_session_get_stream_remote_close(session_, id) == 0)
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
}

void http2_codec::reset(channel_id ch) {
  auto id = static_cast<std::int32_t>(ch);
  auto* st = find(id);
  if (!st || st->response_done)
    return;
  st->response_done = true;
  st->write_waiting = false;
  st->queue.clear();
  st->unframed = 0;
  if (st->handed_over)
    --active_;
  stats_.server_resets_total.fetch_add(1, std::memory_order_relaxed);
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
}

// Waiting for the client's window: body bytes, or a write or end with none (nghttp2 asks for a
// stream's data only while its window is open).
std::chrono::steady_clock::time_point http2_codec::send_due(const stream& st) const {
  auto timeout = std::chrono::milliseconds(cfg_.send_timeout_ms);
  if (timeout.count() <= 0 || st.response_done
      || (st.queue.empty() && !st.write_waiting && !st.body_ends))
    return std::chrono::steady_clock::time_point::max();
  return st.progress + timeout;
}

// A request is read until it is handed over: complete, or refused.
std::chrono::steady_clock::time_point http2_codec::read_due(const stream& st) const {
  auto timeout = std::chrono::milliseconds(cfg_.body_timeout_ms);
  if (timeout.count() <= 0 || st.handed_over || failed_)  // (failed_: nghttp2 reads no more)
    return std::chrono::steady_clock::time_point::max();
  return st.began + timeout;
}

std::chrono::steady_clock::time_point
http2_codec::expire_streams(std::chrono::steady_clock::time_point now) {
  auto next = std::chrono::steady_clock::time_point::max();
  // Acted on after the loop: the writer's answers (a reset, a 408) run inside.
  std::vector<std::int32_t> unsent, unread;
  for (auto& [id, st] : streams_) {
    auto send = send_due(*st), read = read_due(*st);
    if (send <= now)
      unsent.push_back(id);
    if (read <= now)
      unread.push_back(id);
    for (auto due : {send, read})
      if (due > now)
        next = std::min(next, due);
  }
  for (auto id : unsent)
    time_out_send(id);
  for (auto id : unread)
    time_out_read(id);
  return next;
}

void http2_codec::time_out_send(std::int32_t id) {
  send_timeouts_.fetch_add(1, std::memory_order_relaxed);
  reset(static_cast<channel_id>(id));
  host_.h2_reset(static_cast<channel_id>(id));  // for the writer, as if the client had
}

// As over HTTP/1.1, where a body must arrive within --body-timeout-ms: a stream whose body
// never ends would hold its slot and its part of the body budget while other streams keep
// the connection from idling out.
void http2_codec::time_out_read(std::int32_t id) {
  auto* st = find(id);
  if (!st || st->handed_over)
    return;
  stats_.read_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  refuse(id, *st, status::request_timeout,
         "request not complete within " + std::to_string(cfg_.body_timeout_ms)
           + " ms of its HEADERS");
}

// -- output -----------------------------------------------------------------------------------

// Frames other than DATA come from mem_send and are gathered into one string; a DATA frame's
// header goes out beside the queue's own strings (send_data), so body bytes are not copied on
// their way to the socket write.
void http2_codec::take_output(std::vector<std::string>& into, std::size_t max) {
  sink_ = &into;
  sink_bytes_ = 0;
  while (sink_bytes_ + batch_.size() < max) {
    const std::uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0)
      break;
    batch_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  // Too many requests cancelled while this output was made (nghttp2 resets streams as it sends
  // the frames): the GOAWAY goes out now, not when the client next sends.
  if (calm_down_ && !failed_) {
    failed_ = true;
    count_protocol_error();
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
    for (const std::uint8_t* data = nullptr;;) {
      auto n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0)
        break;
      batch_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
  }
  flush_batch();
  sink_ = nullptr;
  completed_by_write_.insert(completed_by_write_.end(), completing_.begin(), completing_.end());
  completing_.clear();
  if (into.empty())
    return written();  // writes that completed without a byte to send (an empty body part)
}

void http2_codec::flush_batch() {
  if (batch_.empty())
    return;
  sink_bytes_ += batch_.size();
  sink_->push_back(std::move(batch_));
  batch_.clear();
}

int http2_codec::send_data(nghttp2_frame* frame, const std::uint8_t* header, std::size_t length) {
  auto* st = find(frame->hd.stream_id);
  if (!st || !sink_)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  auto padding = frame->data.padlen;
  batch_.append(reinterpret_cast<const char*>(header), 9);
  if (padding > 0)
    batch_.push_back(static_cast<char>(padding - 1));
  flush_batch();
  while (length > 0 && !st->queue.empty()) {
    auto& front = st->queue.front();
    auto n = std::min(length, front.size() - st->front_offset);
    if (st->front_offset == 0 && n == front.size())
      sink_->push_back(std::move(front));  // the usual case: a whole part per frame, moved
    else
      sink_->push_back(front.substr(st->front_offset, n));
    sink_bytes_ += n;
    length -= n;
    st->front_offset += n;
    if (st->front_offset >= front.size() || front.empty()) {
      st->queue.pop_front();
      st->front_offset = 0;
    }
  }
  if (padding > 1)
    batch_.append(padding - 1, '\0');
  return length == 0 ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

void http2_codec::written() {
  auto done = std::move(completed_by_write_);
  completed_by_write_.clear();
  for (auto ch : done)
    host_.h2_write_done(ch);
}

void http2_codec::shut_down() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

bool http2_codec::alive() const {
  return nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_);
}

}  // namespace fastactor
