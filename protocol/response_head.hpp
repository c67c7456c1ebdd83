#pragma once
// Every response head the server sends, rendered in one place: the writer's heads, the
// session's `100 Continue`, and the listener's canned 503 for connections over the limit.
// The same status line, Server and Date fields and framing rules for all of them, so that
// a change (a new codec, a configured Server name) is made once.

#include <fastactor/request.hpp>
#include <fastactor/status.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace fastactor {

/// How a response's body is delimited (RFC 9112 6).
enum class framing {
  content_length,  ///< Content-Length: the body is complete before the head goes out
  chunked,  ///< chunked coding, announcing the Fastactor-Errors trailer
  until_close,  ///< no framing field: the body ends when the connection does (HTTP/1.0)
  none,  ///< no body at all (204, 304, or a head-only answer)
};

/// What the Connection field says. HTTP/1.1 keeps a connection by default, HTTP/1.0 closes
/// it by default: so a persistent HTTP/1.0 connection says `keep-alive`.
enum class connection_field { none, close, keep_alive };

/// The connection field a response to a request of HTTP `version` (10 or 11) needs.
constexpr connection_field connection_for(unsigned version, bool keep_alive) {
  return !keep_alive ? connection_field::close
    : version == 10  ? connection_field::keep_alive
                     : connection_field::none;
}

/// A response head, before it is rendered.
struct response_head {
  status code = status::ok;
  std::string_view server_name;  ///< the Server field's value
  /// The handler's fields, written verbatim (response_field_problem checked them).
  const name_value_list* fields = nullptr;
  /// A Content-Type that replaces the fields' own (an error report is JSON whatever the
  /// handler said); empty: the fields' Content-Type, or text/plain.
  std::string_view content_type;
  framing body = framing::none;
  std::size_t content_length = 0;  ///< with framing::content_length
  connection_field connection = connection_field::none;
};

/// The type of a body whose handler named none.
inline constexpr std::string_view default_content_type = "text/plain; charset=utf-8";

/// The fields of `head` between Date and the framing, as every codec sends them: calls
/// `f(name, value)` for each, in order. Only one Content-Type goes out: the head's own if it
/// has one (an error report is JSON whatever the handler said), else the handler's first,
/// else text/plain after the handler's fields; the handler's other fields go out as they are
/// (response_field_problem kept the framing ones out). HTTP/1.1 writes the names as given,
/// HTTP/2 lower-cases them.
template <class F>
void for_each_head_field(const response_head& head, F&& f) {
  bool has_type = !head.content_type.empty();
  if (has_type)
    f(std::string_view{"Content-Type"}, head.content_type);
  if (head.fields)
    for (const auto& [name, value] : *head.fields) {
      if (iequals(name, "Content-Type") && std::exchange(has_type, true))
        continue;
      f(std::string_view{name}, std::string_view{value});
    }
  if (!has_type)
    f(std::string_view{"Content-Type"}, default_content_type);
}

/// "HTTP/1.1 <code> <reason>", Server, Date, the fields (for_each_head_field), the framing
/// field and Connection, then the empty line. One allocation: its size is bounded before
/// anything is written.
std::string render(const response_head& head);

/// The text render(head) gives, without a string of its own, for a head without handler
/// fields (most responses repeat such a head: every /hello of a second has the same one): a
/// view of this thread's last rendered head, valid until the next head is rendered on this
/// thread. Empty for a head with handler fields. For a caller that copies the head on at
/// once (a pipelined batch), which saves the string's allocation.
std::string_view render_cached(const response_head& head);

/// The interim response a client that sent `Expect: 100-continue` waits for. Static text:
/// no Server or Date (RFC 9110 15.2 interim responses carry no content and need neither).
std::string_view continue_response();

/// A complete response for a connection the server turns away before reading a request
/// (over --max-connections): 503, Retry-After, and an error report the way every other
/// error response has one; the connection then closes.
std::string overload_response(std::string_view server_name);

/// A complete plaintext response for a plain HTTP request sent to the HTTPS port (before any
/// handshake, so the client can read it): 400 saying to use https://, then the connection
/// closes. Plain text, not an error report: whoever reads it is looking at a terminal or a
/// browser that was given the wrong scheme.
std::string plain_http_on_tls_response(std::string_view server_name);

}  // namespace fastactor
