#pragma once
// HTTP status codes and their reason phrases.

#include <cstdint>
#include <string_view>

namespace fastactor {

/// The reason phrase of `status` ("OK", "Not Found", ...), or "Unknown".
std::string_view reason_phrase(std::uint16_t status);

/// A status a handler may answer with: 200-599 (1xx are interim, the server's own business).
constexpr bool is_final_status(std::uint16_t status) {
  return status >= 200 && status <= 599;
}

/// 204 and 304 responses end with their header: no body, no body framing (RFC 9110 6.4.1).
constexpr bool status_has_body(std::uint16_t status) {
  return status != 204 && status != 304 && status >= 200;
}

} // namespace fastactor
