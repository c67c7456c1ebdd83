#pragma once
// HTTP status codes and their reason phrases.

#include <cstdint>
#include <string_view>

namespace fastactor {

/// The reason phrase of `status` ("OK", "Not Found", ...), or "Unknown".
std::string_view reason_phrase(std::uint16_t status);

} // namespace fastactor
