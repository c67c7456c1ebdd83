#pragma once
// Server-Sent Events framing (WHATWG HTML, "server-sent events": the event stream format).
//
//   event: tick            the event type (EventSource: addEventListener("tick", ...))
//   id: 7                  the browser sends it back as Last-Event-ID when it reconnects
//   retry: 3000            reconnection delay in ms
//   data: first line       one data line per line of the payload
//   data: second line
//   <empty line>           dispatches the event

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fastactor {

/// One Server-Sent Event (context::write_event, response_handle::send_event); encode_sse
/// renders it as the WHATWG parser reads it.
struct sse_event {
  std::string event;  ///< type; empty = "message"
  std::string data;  ///< payload; CR, LF and CRLF split it into data lines. Empty: no data
                     ///< field, so the browser dispatches no event (e.g. a `retry`-only one)
  std::string id;  ///< empty: the writer numbers an event with data (strictly increasing
                   ///< per stream, from the client's Last-Event-ID + 1)
  std::int64_t retry_ms = -1;  ///< < 0: no retry field
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sse_event& x) {
  return f(caf::meta::type_name("fastactor::sse_event"), x.event, x.data, x.id, x.retry_ms);
}

/// The event's wire form, ending with the empty line that dispatches it. Line breaks inside
/// `event` and `id` (which the format cannot carry) are dropped, as is NUL in `id` (a browser
/// would ignore such an id).
std::string encode_sse(const sse_event& ev);

/// A comment line (`: text`), e.g. the heartbeat `: ping` that keeps idle streams open
/// through proxies; browsers ignore it.
std::string sse_comment(std::string_view text);

/// The numeric value of a Last-Event-ID header, if it is one.
std::optional<std::uint64_t> parse_event_id(std::string_view text);

}  // namespace fastactor
