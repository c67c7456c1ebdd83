#include "protocol/response_head.hpp"

#include "protocol/error_report.hpp"
#include "protocol/http_date.hpp"

#include <charconv>
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

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += crlf;
}

/// The handler's fields. Only one Content-Type goes out: the head's own if it has one (an
/// error report is JSON whatever the handler said), else the handler's first.
bool append_fields(std::string& out, const response_head& head) {
  bool has_type = !head.content_type.empty();
  if (head.fields)
    for (const auto& [name, value] : *head.fields) {
      if (iequals(name, "Content-Type") && std::exchange(has_type, true))
        continue;
      append_field(out, name, value);
    }
  return has_type;
}

void append_framing(std::string& out, const response_head& head) {
  switch (head.body) {
    case framing::content_length:
      out += "Content-Length: ";
      out += decimal{head.content_length}.text();
      out += crlf;
      break;
    case framing::chunked: out += chunked_fields; break;
    case framing::until_close:
    case framing::none: break;
  }
}

}  // namespace

// Literal pieces are joined ("\r\nServer: "): each append costs, and a head is rendered per
// response.
std::string render(const response_head& head) {
  std::string out;
  out.reserve(size_bound(head));
  out += "HTTP/1.1 ";
  out += decimal{code(head.code)}.text();
  out += ' ';
  out += reason(head.code);
  out += "\r\nServer: ";
  out += head.server_name;
  out += "\r\nDate: ";
  out += http_date_now();
  out += crlf;
  if (!head.content_type.empty())
    append_field(out, "Content-Type", head.content_type);
  if (!append_fields(out, head))
    out += "Content-Type: text/plain; charset=utf-8\r\n";
  append_framing(out, head);
  if (head.connection == connection_field::close)
    out += "Connection: close\r\n";
  else if (head.connection == connection_field::keep_alive)
    out += "Connection: keep-alive\r\n";
  out += crlf;
  return out;
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
