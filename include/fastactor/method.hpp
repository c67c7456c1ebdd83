#pragma once
// HTTP request methods (RFC 9110 9, and PATCH from RFC 5789).

#include <cstdint>
#include <string_view>

namespace fastactor {

enum class method : std::uint8_t {
  get,
  head,
  post,
  put,
  delete_,
  connect,
  options,
  trace,
  patch,
  /// Any other token (an extension method such as PROPFIND, or "get" in lower case: methods
  /// are case-sensitive). No route serves it; the request keeps its text.
  other,
};

/// The method's token, e.g. "GET"; "" for `method::other` (whose text only the request has).
std::string_view to_string(method m);

/// The method `token` names (case-sensitive, as RFC 9110 9.1 says), or `method::other`.
method parse_method(std::string_view token);

}  // namespace fastactor
