#include "support/h2_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace testing {

namespace {

using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

int ms_left(steady::time_point until) {
  auto left = std::chrono::duration_cast<ms>(until - steady::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

std::string be(std::uint64_t value, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i, value >>= 8)
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
  return out;
}

std::uint32_t read_be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

}  // namespace

// ----- The socket -----

namespace detail {

/// One connection's bytes, plain TCP or TLS, never blocking: a queue of bytes to write,
/// what arrived appended to the caller's string, and a wait on the socket for either.
class h2_wire {
public:
  h2_wire(std::uint16_t port, const transport& how, ms timeout) {
    fd_ = connect_loopback(port);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    if (!how.tls)
      return;
    tls_options options = *how.tls;
    // A client of transport::from_environment() offers http/1.1 by default: this one
    // means h2. Any other list is the test's choice (a server that must refuse, say).
    if (options.alpn == std::vector<std::string>{"http/1.1"})
      options.alpn = {"h2"};
    try {
      tls_ = std::make_unique<tls_stream>(fd_, options);
      if (!tls_->handshake(timeout))
        throw std::runtime_error("TLS " + tls_->error());
    } catch (...) {
      close();
      throw;
    }
  }
  ~h2_wire() { close(); }
  h2_wire(const h2_wire&) = delete;
  h2_wire& operator=(const h2_wire&) = delete;

  void queue(std::string_view bytes) { out_.append(bytes); }
  /// Queued bytes the socket did not take yet (TLS: before encryption).
  std::size_t queued() const { return out_.size() - sent_; }
  bool pending() const { return queued() > 0 || (tls_ && tls_->has_unsent()); }
  bool eof() const { return eof_; }
  bool closed() const { return eof_ || broken_; }
  const tls_stream* tls() const { return tls_.get(); }

  /// Writes what the socket takes now: whether any went.
  bool write_some() {
    if (broken_ || fd_ < 0)
      return false;
    std::size_t before = sent_;
    if (tls_) {
      // A wait of 0: OpenSSL encrypts a record and the socket takes what it can, no more.
      sent_ += tls_->write(out_.data() + sent_, queued(), ms(0));
      broken_ = tls_->broken();
    } else {
      while (queued() > 0) {
        auto n = ::send(fd_, out_.data() + sent_, queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          sent_ += static_cast<std::size_t>(n);
          continue;
        }
        if (n < 0 && errno == EINTR)
          continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
          broken_ = true;  // EPIPE, ECONNRESET: the server is gone
        break;
      }
    }
    bool took = sent_ != before;
    if (sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
    }
    return took;
  }

  /// Appends what the socket holds now to `into`: whether anything came.
  bool read_some(std::string& into) {
    if (eof_ || fd_ < 0)
      return false;
    std::size_t before = into.size();
    // At most 1 MiB a round, so a flood cannot keep the caller from writing.
    while (into.size() - before < (1u << 20)) {
      if (tls_) {
        int n = tls_->read(into, ms(0));
        if (n < 0)
          eof_ = true;
        if (n <= 0)
          break;
        continue;
      }
      char buf[64 * 1024];
      auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        eof_ = true;  // EOF, or a reset
      break;
    }
    return into.size() > before;
  }

  /// Waits until the socket can be read (or written, with bytes queued), or `until`.
  void wait(steady::time_point until) {
    if (fd_ < 0)
      return;
    short events = (eof_ ? 0 : POLLIN) | (pending() && !broken_ ? POLLOUT : 0);
    if (events == 0)
      return;
    pollfd p{fd_, events, 0};
    ::poll(&p, 1, ms_left(until));
  }

  void close() {
    tls_.reset();
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
    eof_ = broken_ = true;
  }

private:
  int fd_ = -1;
  std::unique_ptr<tls_stream> tls_;
  std::string out_;
  std::size_t sent_ = 0;  ///< out_[0, sent_) went
  bool eof_ = false;  ///< read EOF or a reset
  bool broken_ = false;  ///< a write failed
};

}  // namespace detail

// ----- Received frames -----

std::uint32_t h2_frame_in::error_code() const {
  if (type == NGHTTP2_RST_STREAM && payload.size() >= 4)
    return read_be32(payload, 0);
  if (type == NGHTTP2_GOAWAY && payload.size() >= 8)
    return read_be32(payload, 4);
  return 0;
}

std::uint32_t h2_frame_in::last_stream() const {
  return type == NGHTTP2_GOAWAY && payload.size() >= 4 ? read_be32(payload, 0) & 0x7fffffffu : 0;
}

std::string h2_frame_in::debug_data() const {
  return type == NGHTTP2_GOAWAY && payload.size() > 8 ? payload.substr(8) : std::string{};
}

std::string h2_response::header(const std::string& name) const {
  auto i = headers.find(name);
  return i == headers.end() ? std::string{} : i->second;
}

// ----- h2_client -----

/// A request body: what the test gave, and whether more is to come (send_body).
struct h2_client::body_source {
  std::string data;
  std::size_t offset = 0;  ///< data[0, offset) went to nghttp2
  bool end = true;  ///< END_STREAM once data is out
  bool deferred = false;  ///< nghttp2 waits for resume_data
};

struct h2_client::callbacks {
  static h2_client& self(void* user) { return *static_cast<h2_client*>(user); }

  static h2_response* stream(h2_client& c, std::int32_t id) {
    auto i = c.responses_.find(id);
    return i == c.responses_.end() ? nullptr : &i->second;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = self(user);
    if (auto* r = stream(c, frame->hd.stream_id); r && frame->hd.type == NGHTTP2_HEADERS)
      c.in_trailers_[frame->hd.stream_id] = r->status != 0;  // after the final head: trailers
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    auto& c = self(user);
    auto* r = stream(c, frame->hd.stream_id);
    if (!r || frame->hd.type != NGHTTP2_HEADERS)
      return 0;
    std::string n{reinterpret_cast<const char*>(name), namelen};
    std::string v{reinterpret_cast<const char*>(value), valuelen};
    if (n == ":status") {
      int status = std::atoi(v.c_str());
      if (status < 200)
        r->informational.push_back(status);
      else
        r->status = status;
      return 0;
    }
    if (!n.empty() && n[0] == ':')
      return 0;
    auto& fields = c.in_trailers_[frame->hd.stream_id] ? r->trailers : r->headers;
    auto [at, fresh] = fields.emplace(n, v);
    if (!fresh)  // a repeated field: one list, as HTTP reads it
      at->second += ", " + v;
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id,
                           const std::uint8_t* data, std::size_t len, void* user) {
    auto& c = self(user);
    if (auto* r = stream(c, id)) {
      std::string piece{reinterpret_cast<const char*>(data), len};
      r->body += piece;
      r->arrivals.emplace_back(clock_type::now(), std::move(piece));
    }
    if (c.auto_consume_)
      nghttp2_session_consume(session, id, len);
    else
      c.unconsumed_[id] += len;
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = self(user);
    const auto& hd = frame->hd;
    c.frames_.push_back(
      {hd.type, hd.flags, static_cast<std::uint32_t>(hd.stream_id), {}, clock_type::now()});
    auto* r = stream(c, hd.stream_id);
    switch (hd.type) {
      case NGHTTP2_SETTINGS:
        (hd.flags & NGHTTP2_FLAG_ACK ? c.settings_acked_ : c.remote_settings_) = true;
        break;
      case NGHTTP2_PING:
        if (hd.flags & NGHTTP2_FLAG_ACK)
          ++c.pings_acked_;
        break;
      case NGHTTP2_GOAWAY:
        c.goaway_error_ = frame->goaway.error_code;
        c.goaway_last_stream_ = frame->goaway.last_stream_id;
        c.goaway_debug_.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                               frame->goaway.opaque_data_len);
        break;
      case NGHTTP2_RST_STREAM:
        if (r) {
          r->reset_by_server = frame->rst_stream.error_code;
          if (!r->reset)
            r->reset = frame->rst_stream.error_code;
        }
        break;
      case NGHTTP2_HEADERS:
      case NGHTTP2_DATA:
        if (r && (hd.flags & NGHTTP2_FLAG_END_STREAM))
          r->ended = true;
        break;
      default: break;
    }
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = self(user);
    if (frame->hd.type == NGHTTP2_RST_STREAM)  // nghttp2's own resets too
      if (auto* r = stream(c, frame->hd.stream_id); r && !r->reset)
        r->reset = frame->rst_stream.error_code;
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error, void* user) {
    auto& c = self(user);
    if (auto* r = stream(c, id)) {
      r->closed = true;
      r->close_error = error;
    }
    c.release(id);
    return 0;
  }

  static int on_error(nghttp2_session*, int, const char* msg, std::size_t len, void* user) {
    self(user).errors_.emplace_back(msg, len);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* data_flags, nghttp2_data_source* source, void*) {
    auto& b = *static_cast<body_source*>(source->ptr);
    std::size_t n = std::min(length, b.data.size() - b.offset);
    std::memcpy(buf, b.data.data() + b.offset, n);
    b.offset += n;
    if (b.offset < b.data.size())
      return static_cast<ssize_t>(n);
    b.data.clear();
    b.offset = 0;
    if (b.end)
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    else if (n == 0) {  // nothing to send until send_body() brings more
      b.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }
};

h2_client::h2_client(std::uint16_t port, transport how, ms timeout, h2_options options)
  : wire_(std::make_unique<detail::h2_wire>(port, how, timeout)),
    authority_("127.0.0.1:" + std::to_string(port)), scheme_(how.tls ? "https" : "http"),
    timeout_(timeout), auto_consume_(options.auto_consume) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, callbacks::on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(cbs, callbacks::on_error);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // This class says when DATA is consumed (auto_consume or consume()): a test can be a
  // slow reader.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  int rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0)
    throw std::runtime_error(std::string{"nghttp2_session_client_new2: "} + nghttp2_strerror(rv));

  // The client magic goes out with the first bytes nghttp2 writes, then these SETTINGS.
  std::vector<nghttp2_settings_entry> iv{
    {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options.initial_window}};
  for (auto [id, value] : options.settings)
    iv.push_back({id, value});
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv.data(), iv.size());
  if (options.connection_window != 65535)
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<std::int32_t>(options.connection_window));
  if (options.wait_connected)
    run_until([this] { return connected(); }, timeout);
  else
    round();
}

h2_client::~h2_client() {
  nghttp2_session_del(session_);
}

void h2_client::produce() {
  // Bounded, so a large body does not pile up here while the server reads slowly.
  while (wire_->queued() < (1u << 20)) {
    const std::uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_, &data);
    if (n < 0)
      errors_.push_back(std::string{"nghttp2_session_mem_send: "}
                        + nghttp2_strerror(static_cast<int>(n)));
    if (n <= 0)
      return;
    wire_->queue({reinterpret_cast<const char*>(data), static_cast<std::size_t>(n)});
  }
}

void h2_client::feed() {
  if (!failed_ && !input_.empty()) {
    auto rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const std::uint8_t*>(input_.data()), input_.size());
    if (rv < 0) {  // fatal: nghttp2 will not read this connection any more
      failed_ = true;
      errors_.push_back(std::string{"nghttp2_session_mem_recv: "}
                        + nghttp2_strerror(static_cast<int>(rv)));
    }
  }
  input_.clear();
}

void h2_client::round() {
  produce();
  wire_->write_some();
  if (wire_->read_some(input_)) {
    feed();
    produce();  // what reading made nghttp2 say: ACKs, WINDOW_UPDATEs, GOAWAY
    wire_->write_some();
  }
}

bool h2_client::run_until(const std::function<bool()>& pred, ms wait) {
  auto until = steady::now() + wait;
  for (;;) {
    round();
    if (pred())
      return true;
    // After EOF nothing can arrive: pred() will not change.
    if (wire_->eof() || steady::now() >= until)
      return pred();
    wire_->wait(until);
  }
}

bool h2_client::wait_for(std::int32_t id, ms wait) {
  const auto& r = response(id);
  return run_until([&r] { return r.done(); }, wait);
}

void h2_client::run_for(ms wait) {
  run_until([] { return false; }, wait);
}

std::int32_t h2_client::submit_stream(const std::string& method, const std::string& path,
                                      const name_value& headers,
                                      std::unique_ptr<body_source> body) {
  name_value fields{
    {":method", method}, {":scheme", scheme_}, {":authority", authority_}, {":path", path}};
  for (const auto& [name, value] : headers) {
    auto ours = std::find_if(fields.begin(), fields.begin() + 4,
                             [&name = name](const auto& f) { return f.first == name; });
    if (ours != fields.begin() + 4)
      ours->second = value;
    else
      fields.emplace_back(name, value);
  }
  std::vector<nghttp2_nv> nva;
  for (auto& [name, value] : fields)  // nghttp2 copies them
    nva.push_back({reinterpret_cast<std::uint8_t*>(name.data()),
                   reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  nghttp2_data_provider provider{};
  provider.source.ptr = body.get();
  provider.read_callback = callbacks::read_body;
  auto id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                   body ? &provider : nullptr, nullptr);
  if (id < 0) {
    errors_.push_back(std::string{"nghttp2_submit_request: "} + nghttp2_strerror(id));
    return id;
  }
  responses_[id];
  if (body)
    bodies_[id] = std::move(body);
  round();
  return id;
}

std::int32_t h2_client::submit(const std::string& method, const std::string& path,
                               const name_value& headers, std::string body) {
  std::unique_ptr<body_source> source;
  if (!body.empty()) {
    source = std::make_unique<body_source>();
    source->data = std::move(body);
  }
  return submit_stream(method, path, headers, std::move(source));
}

std::int32_t h2_client::submit_open(const std::string& method, const std::string& path,
                                    const name_value& headers) {
  auto source = std::make_unique<body_source>();
  source->end = false;
  return submit_stream(method, path, headers, std::move(source));
}

void h2_client::send_body(std::int32_t id, std::string_view bytes, bool end) {
  auto i = bodies_.find(id);
  if (i == bodies_.end() || i->second->end)
    throw std::logic_error("send_body: stream " + std::to_string(id) + " is not open");
  auto& b = *i->second;
  b.data.append(bytes);
  b.end = end;
  if (b.deferred) {
    b.deferred = false;
    nghttp2_session_resume_data(session_, id);
  }
  round();
}

void h2_client::reset_stream(std::int32_t id, std::uint32_t error) {
  auto& r = response(id);
  if (!r.closed && !r.reset)
    r.reset = error;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error);
  round();
}

void h2_client::ping() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  round();
}

void h2_client::goaway(std::uint32_t error) {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), error, nullptr, 0);
  round();
}

bool h2_client::send_raw(std::string_view bytes) {
  produce();  // what nghttp2 has to say goes first
  wire_->queue(bytes);
  return run_until([this] { return !wire_->pending() || wire_->closed(); }, timeout_)
    && !wire_->pending();
}

void h2_client::close() {
  wire_->close();
}

bool h2_client::closed() const {
  return wire_->closed();
}

const tls_stream* h2_client::tls() const {
  return wire_->tls();
}

void h2_client::consume(std::int32_t id, std::size_t n) {
  auto i = unconsumed_.find(id);
  if (i == unconsumed_.end())
    return;  // closed: release() gave its bytes back already
  n = std::min(n, i->second);
  i->second -= n;
  nghttp2_session_consume(session_, id, n);
  round();
}

std::size_t h2_client::unconsumed(std::int32_t id) const {
  auto i = unconsumed_.find(id);
  return i == unconsumed_.end() ? 0 : i->second;
}

void h2_client::set_auto_consume(bool on) {
  auto_consume_ = on;
  if (!on)
    return;
  for (auto [id, n] : unconsumed_)
    nghttp2_session_consume(session_, id, n);
  unconsumed_.clear();
  round();
}

void h2_client::window_update(std::int32_t id, std::int32_t increment) {
  if (int rv = nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, id, increment))
    errors_.push_back(std::string{"nghttp2_submit_window_update: "} + nghttp2_strerror(rv));
  round();
}

// A closed stream's unread bytes would hold the connection's window shut for ever: the
// connection gets them back (the stream's own window no longer matters).
void h2_client::release(std::int32_t id) {
  auto i = unconsumed_.find(id);
  if (i == unconsumed_.end())
    return;
  nghttp2_session_consume_connection(session_, i->second);
  unconsumed_.erase(i);
}

h2_response& h2_client::response(std::int32_t id) {
  return responses_.at(id);
}

const h2_response& h2_client::response(std::int32_t id) const {
  return responses_.at(id);
}

std::uint32_t h2_client::remote_setting(nghttp2_settings_id id) const {
  return nghttp2_session_get_remote_settings(session_, id);
}

// ----- h2_raw -----

h2_raw::h2_raw(std::uint16_t port, transport how, ms timeout)
  : wire_(std::make_unique<detail::h2_wire>(port, how, timeout)), timeout_(timeout) {}

h2_raw::~h2_raw() = default;

bool h2_raw::handshake(const h2_setting_list& settings) {
  send(h2_preface() + h2_settings(settings));
  auto theirs = [this] {
    return std::any_of(frames_.begin(), frames_.end(), [](const h2_frame_in& f) {
      return f.type == NGHTTP2_SETTINGS && !(f.flags & NGHTTP2_FLAG_ACK);
    });
  };
  if (!run_until(theirs, timeout_))
    return false;
  send(h2_settings_ack());
  return true;
}

std::size_t h2_raw::send(std::string_view bytes) {
  return send(bytes, timeout_);
}

std::size_t h2_raw::send(std::string_view bytes, ms wait) {
  wire_->queue(bytes);
  run_until([this] { return !wire_->pending() || wire_->closed(); }, wait);
  // Bytes leave in order: what is still queued is the end of these (the rest of them
  // goes out in later rounds, as the server reads).
  return bytes.size() - std::min(bytes.size(), wire_->queued());
}

void h2_raw::pump() {
  wire_->write_some();
  if (!wire_->read_some(received_))
    return;
  while (received_.size() - parsed_ >= 9) {
    auto length = read_be32(received_, parsed_) >> 8;
    if (received_.size() - parsed_ < 9 + length)
      break;
    h2_frame_in f;
    f.type = static_cast<std::uint8_t>(received_[parsed_ + 3]);
    f.flags = static_cast<std::uint8_t>(received_[parsed_ + 4]);
    f.stream = read_be32(received_, parsed_ + 5) & 0x7fffffffu;
    f.payload = received_.substr(parsed_ + 9, length);
    f.at = clock_type::now();
    frames_.push_back(std::move(f));
    parsed_ += 9 + length;
  }
}

bool h2_raw::run_until(const std::function<bool()>& pred, ms wait) {
  auto until = steady::now() + wait;
  for (;;) {
    pump();
    if (pred())
      return true;
    if (wire_->eof() || steady::now() >= until)
      return pred();
    wire_->wait(until);
  }
}

std::optional<h2_frame_in> h2_raw::wait_for_frame(std::uint8_t type, ms wait,
                                                  std::optional<std::uint32_t> stream) {
  run_until([&] { return find(type, stream).has_value(); }, wait);
  return find(type, stream);
}

bool h2_raw::closed_within(ms wait) {
  return run_until([this] { return closed(); }, wait);
}

std::size_t h2_raw::count(std::uint8_t type) const {
  return static_cast<std::size_t>(std::count_if(
    frames_.begin(), frames_.end(), [type](const h2_frame_in& f) { return f.type == type; }));
}

std::optional<h2_frame_in> h2_raw::find(std::uint8_t type,
                                        std::optional<std::uint32_t> stream) const {
  for (const auto& f : frames_)
    if (f.type == type && (!stream || f.stream == *stream))
      return f;
  return std::nullopt;
}

bool h2_raw::closed() const {
  return wire_->closed();
}

void h2_raw::close() {
  wire_->close();
}

const tls_stream* h2_raw::tls() const {
  return wire_->tls();
}

// ----- Frame builders -----

std::string h2_preface() {
  return NGHTTP2_CLIENT_MAGIC;
}

std::string h2_frame_header(std::uint32_t length, std::uint8_t type, std::uint8_t flags,
                            std::uint32_t stream) {
  return be(length, 3) + static_cast<char>(type) + static_cast<char>(flags) + be(stream, 4);
}

std::string h2_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                     std::string_view payload) {
  auto frame = h2_frame_header(static_cast<std::uint32_t>(payload.size()), type, flags, stream);
  frame.append(payload);
  return frame;
}

std::string h2_settings(const h2_setting_list& settings) {
  std::string payload;
  for (auto [id, value] : settings)
    payload += be(id, 2) + be(value, 4);
  return h2_frame(NGHTTP2_SETTINGS, 0, 0, payload);
}

std::string h2_settings_ack() {
  return h2_frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, {});
}

std::string h2_ping(std::uint64_t opaque, bool ack) {
  return h2_frame(NGHTTP2_PING, ack ? NGHTTP2_FLAG_ACK : 0, 0, be(opaque, 8));
}

std::string h2_headers(std::uint32_t stream, std::string_view block, bool end_stream,
                       bool end_headers) {
  std::uint8_t flags =
    (end_stream ? NGHTTP2_FLAG_END_STREAM : 0) | (end_headers ? NGHTTP2_FLAG_END_HEADERS : 0);
  return h2_frame(NGHTTP2_HEADERS, flags, stream, block);
}

std::string h2_continuation(std::uint32_t stream, std::string_view block, bool end_headers) {
  return h2_frame(NGHTTP2_CONTINUATION, end_headers ? NGHTTP2_FLAG_END_HEADERS : 0, stream, block);
}

std::string h2_data(std::uint32_t stream, std::string_view data, bool end_stream) {
  return h2_frame(NGHTTP2_DATA, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, stream, data);
}

std::string h2_rst_stream(std::uint32_t stream, std::uint32_t error) {
  return h2_frame(NGHTTP2_RST_STREAM, 0, stream, be(error, 4));
}

std::string h2_window_update(std::uint32_t stream, std::uint32_t increment) {
  return h2_frame(NGHTTP2_WINDOW_UPDATE, 0, stream, be(increment, 4));
}

std::string h2_goaway(std::uint32_t last_stream, std::uint32_t error, std::string_view debug) {
  auto payload = be(last_stream, 4) + be(error, 4);
  payload.append(debug);
  return h2_frame(NGHTTP2_GOAWAY, 0, 0, payload);
}

std::string h2_priority(std::uint32_t stream, std::uint32_t depends_on, std::uint8_t weight,
                        bool exclusive) {
  auto payload = be(depends_on | (exclusive ? 0x80000000u : 0u), 4) + static_cast<char>(weight);
  return h2_frame(NGHTTP2_PRIORITY, 0, stream, payload);
}

std::string h2_rapid_reset(std::uint32_t first_stream, int count, std::string_view block) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    auto stream = first_stream + 2 * static_cast<std::uint32_t>(i);
    out += h2_headers(stream, block) + h2_rst_stream(stream, NGHTTP2_CANCEL);
  }
  return out;
}

// ----- HPACK -----

std::string hpack_integer(std::uint64_t value, int prefix_bits, std::uint8_t first) {
  const std::uint64_t max = (1u << prefix_bits) - 1;
  if (value < max)
    return std::string(1, static_cast<char>(first | value));
  std::string out(1, static_cast<char>(first | max));
  for (value -= max; value >= 128; value /= 128)
    out += static_cast<char>(value % 128 + 128);
  out += static_cast<char>(value);
  return out;
}

namespace {

/// A string literal, no Huffman coding.
std::string hpack_string(std::string_view s) {
  return hpack_integer(s.size(), 7) + std::string{s};
}

}  // namespace

std::string hpack_literal(std::string_view name, std::string_view value) {
  return '\x00' + hpack_string(name) + hpack_string(value);
}

std::string hpack_indexed_literal(std::string_view name, std::string_view value) {
  return '\x40' + hpack_string(name) + hpack_string(value);
}

std::string hpack_index(std::uint32_t index) {
  return hpack_integer(index, 7, 0x80);
}

std::string hpack_request(std::string_view method, std::string_view path, std::string_view scheme,
                          std::string_view authority, const name_value& extra) {
  auto block = hpack_literal(":method", method) + hpack_literal(":scheme", scheme)
    + hpack_literal(":authority", authority) + hpack_literal(":path", path);
  for (const auto& [name, value] : extra)
    block += hpack_literal(name, value);
  return block;
}

std::string hpack_bomb(std::size_t references, std::size_t value_size, std::string_view scheme) {
  auto block = hpack_request("GET", "/", scheme)
    + hpack_indexed_literal("x-bomb", std::string(value_size, 'a'));
  block += std::string(references, static_cast<char>(0x80 | 62));  // hpack_index(62), each
  return block;
}

}  // namespace testing
