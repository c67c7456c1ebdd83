#include "protocol/response_head.hpp"

#include "protocol/error_report.hpp"
#include "protocol/http_date.hpp"

#include <charconv>
#include <cstring>
#include <utility>

namespace fastactor {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view chunked_fields =
  "Transfer-Encoding: chunked\r\nTrailer: Fastactor-Errors\r\n";

/// A number as decimal digits, without allocating.
struct decimal {
  explicit decimal(std::size_t n) {
    size = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof(digits), n).ptr - digits);
  }
  std::string_view text() const { return {digits, size}; }

  char digits[20];
  std::size_t size = 0;
};

/// The most the head's own lines take (status line with the longest reason, Date, a framing
/// field, Connection, the default Content-Type): with the variable parts added, one
/// reservation always holds the whole head.
constexpr std::size_t fixed_max = 256;

std::size_t size_bound(const response_head& head) {
  auto size = fixed_max + head.server_name.size() + head.content_type.size();
  if (head.fields)
    for (const auto& [name, value] : *head.fields)
      size += name.size() + value.size() + 4;
  return size;
}

/// Writes a head into memory reserved for it by size_bound: one copy per piece, without the
/// bookkeeping of a string append per piece (a head is rendered per response). A head that
/// fits is written on the stack and copied into its string once: a string sized up front
/// would be filled with zeros first (~200 instructions of a /hello's ~8,900, callgrind).
class head_text {
public:
  explicit head_text(std::size_t bound) {
    if (bound > sizeof(local_))
      grow(bound);
  }
  head_text(const head_text&) = delete;
  head_text& operator=(const head_text&) = delete;

  head_text& operator<<(std::string_view piece) {
    if (size_ + piece.size() > capacity_)  // never, if size_bound is right; but cheap
      grow(2 * (size_ + piece.size()));
    std::memcpy(data_ + size_, piece.data(), piece.size());
    size_ += piece.size();
    return *this;
  }

  void field(std::string_view name, std::string_view value) {
    *this << name << ": " << value << crlf;
  }

  std::string take() {
    if (data_ == local_)
      return std::string(local_, size_);
    heap_.resize(size_);
    return std::move(heap_);
  }

private:
  void grow(std::size_t capacity) {
    std::string bigger(capacity, '\0');
    std::memcpy(bigger.data(), data_, size_);
    heap_ = std::move(bigger);
    data_ = heap_.data();
    capacity_ = capacity;
  }

  char local_[512];
  char* data_ = local_;
  std::size_t capacity_ = sizeof(local_);
  std::size_t size_ = 0;
  std::string heap_;
};

void append_framing(head_text& out, const response_head& head) {
  switch (head.body) {
    case framing::content_length:
      out << "Content-Length: " << decimal{head.content_length}.text() << crlf;
      break;
    case framing::chunked: out << chunked_fields; break;
    case framing::until_close:
    case framing::none: break;
  }
}

/// `head` written out, with `date` as its Date (render without the last head's copy).
std::string render_now(const response_head& head, std::string_view date) {
  head_text out{size_bound(head)};
  out << "HTTP/1.1 " << decimal{code(head.code)}.text() << " " << reason(head.code)
      << "\r\nServer: " << head.server_name << "\r\nDate: " << date << crlf;
  for_each_head_field(
    head, [&out](std::string_view name, std::string_view value) { out.field(name, value); });
  append_framing(out, head);
  if (head.connection == connection_field::close)
    out << "Connection: close\r\n";
  else if (head.connection == connection_field::keep_alive)
    out << "Connection: keep-alive\r\n";
  out << crlf;
  return out.take();
}

/// The last head rendered on this thread without handler fields, and what made it: most
/// responses repeat it (every `/hello` of a second has the same head), and a copy of it costs
/// ~100 instructions where rendering costs ~500 (callgrind).
class last_head {
public:
  static bool applies_to(const response_head& head) { return !head.fields || head.fields->empty(); }

  bool matches(const response_head& head, std::string_view date) const {
    return valid_ && head.code == code_ && head.body == body_
      && head.content_length == content_length_ && head.connection == connection_
      && head.server_name == server_name_ && head.content_type == content_type_ && date == date_;
  }

  void remember(const response_head& head, std::string_view date, std::string text) {
    code_ = head.code;
    body_ = head.body;
    content_length_ = head.content_length;
    connection_ = head.connection;
    server_name_ = head.server_name;
    content_type_ = head.content_type;
    date_ = date;
    text_ = std::move(text);
    valid_ = true;
  }

  const std::string& text() const { return text_; }

private:
  bool valid_ = false;
  status code_ = status::ok;
  framing body_ = framing::none;
  std::size_t content_length_ = 0;
  connection_field connection_ = connection_field::none;
  std::string server_name_, content_type_, date_, text_;
};

}  // namespace

std::string render(const response_head& head) {
  if (!last_head::applies_to(head))
    return render_now(head, http_date_now());
  return std::string{render_cached(head)};
}

std::string_view render_cached(const response_head& head) {
  if (!last_head::applies_to(head))
    return {};
  auto date = http_date_now();
  thread_local last_head last;
  if (!last.matches(head, date))
    last.remember(head, date, render_now(head, date));
  return last.text();
}

std::string_view continue_response() {
  return "HTTP/1.1 100 Continue\r\n\r\n";
}

std::string overload_response(std::string_view server_name) {
  static const std::string body = error_report_json(
    {worker_error{"server", "too many connections, retry later", status::service_unavailable}});
  static const name_value_list fields{{"Retry-After", "1"}};
  auto response = render({status::service_unavailable, server_name, &fields, "application/json",
                          framing::content_length, body.size(), connection_field::close});
  response += body;
  return response;
}

std::string plain_http_on_tls_response(std::string_view server_name) {
  static const std::string body = "400 Bad Request: this port speaks HTTPS; use https:// in the "
                                  "URL (the request was sent as plain HTTP).\n";
  auto response = render({status::bad_request, server_name, nullptr, "text/plain; charset=utf-8",
                          framing::content_length, body.size(), connection_field::close});
  response += body;
  return response;
}

}  // namespace fastactor
