#pragma once
// What a handler may put into a response head. The head is written verbatim, so a header
// value copied from a request (a decoded query parameter, say) could otherwise split the
// response; and the framing fields belong to the writer, which alone knows how the body is
// framed.

#include <optional>
#include <string>
#include <string_view>

namespace fastactor {

/// Why `name: value` may not be set by a handler, or nothing if it may: the name must be a
/// token (RFC 9110 5.1), the value free of CR, LF and NUL, and the field not one that frames
/// the message (Content-Length, Transfer-Encoding, Connection, Keep-Alive, Trailer, TE,
/// Upgrade, Proxy-Connection).
std::optional<std::string> response_field_problem(std::string_view name, std::string_view value);

}  // namespace fastactor
