#pragma once
// The `Date` header value (RFC 9110 IMF-fixdate), formatted at most once per second and thread.

#include <string_view>

namespace fastactor {

/// e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The view stays valid until the calling thread
/// asks again.
std::string_view http_date_now();

}  // namespace fastactor
