#include "protocol/response_fields.hpp"

#include <fastactor/request.hpp>

#include <algorithm>

namespace fastactor {

namespace {

bool is_token_char(unsigned char c) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
    || specials.find(static_cast<char>(c)) != std::string_view::npos;
}

/// The name cut to a readable length, for an error message.
std::string shown(std::string_view text) {
  constexpr std::size_t max = 64;
  return text.size() <= max ? std::string{text} : std::string{text.substr(0, max)} + "...";
}

}  // namespace

std::optional<std::string> response_field_problem(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return is_token_char(static_cast<unsigned char>(c));
      }))
    return "header name '" + shown(name) + "' is not a token (RFC 9110 5.1)";
  if (value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string_view::npos)
    return "header '" + shown(name) + "' has a CR, LF or NUL in its value";
  static constexpr std::string_view framing[] = {
    "content-length", "transfer-encoding", "connection", "keep-alive", "trailer", "te",
    "upgrade",        "proxy-connection"};
  for (auto field : framing)
    if (iequals(name, field))
      return "header '" + shown(name) + "' frames the message: the response writer sets it";
  return std::nullopt;
}

}  // namespace fastactor
