#pragma once
// HTTP status codes (RFC 9110 15) and their reason phrases.
//
//   ctx.set_status(fastactor::status::created);
//   ctx.fail("no such user", fastactor::status::not_found);
//   ctx.set_status(fastactor::to_status(299));  // a code without a name: any 200-599
//
// The enumeration's underlying type is the code itself, so a `status` can hold any code,
// named or not, and travels between nodes as a plain 16-bit integer.

#include <cstdint>
#include <string>
#include <string_view>

namespace fastactor {

enum class status : std::uint16_t {
  continue_ = 100,
  switching_protocols = 101,

  ok = 200,
  created = 201,
  accepted = 202,
  non_authoritative_information = 203,
  no_content = 204,
  reset_content = 205,
  partial_content = 206,

  multiple_choices = 300,
  moved_permanently = 301,
  found = 302,
  see_other = 303,
  not_modified = 304,
  use_proxy = 305,
  temporary_redirect = 307,
  permanent_redirect = 308,

  bad_request = 400,
  unauthorized = 401,
  payment_required = 402,
  forbidden = 403,
  not_found = 404,
  method_not_allowed = 405,
  not_acceptable = 406,
  proxy_authentication_required = 407,
  request_timeout = 408,
  conflict = 409,
  gone = 410,
  length_required = 411,
  precondition_failed = 412,
  content_too_large = 413,
  uri_too_long = 414,
  unsupported_media_type = 415,
  range_not_satisfiable = 416,
  expectation_failed = 417,
  misdirected_request = 421,
  unprocessable_content = 422,
  upgrade_required = 426,
  precondition_required = 428,  ///< RFC 6585
  too_many_requests = 429,  ///< RFC 6585
  request_header_fields_too_large = 431,  ///< RFC 6585
  /// nginx's "client closed request": never sent, only counted and logged for a response the
  /// client left before its end.
  client_closed_request = 499,

  internal_server_error = 500,
  not_implemented = 501,
  bad_gateway = 502,
  service_unavailable = 503,
  gateway_timeout = 504,
  http_version_not_supported = 505,
};

/// The status with numeric code `code`, named or not (e.g. a handler's own 299).
constexpr status to_status(std::uint16_t code) {
  return static_cast<status>(code);
}

/// The numeric code of `s`, e.g. 404.
constexpr std::uint16_t code(status s) {
  return static_cast<std::uint16_t>(s);
}

/// The reason phrase of `s` ("OK", "Not Found", ...), or "Unknown" for a code without a name.
std::string_view reason(status s);

/// The code as text, e.g. "404" (also how CAF prints a status inside a message).
std::string to_string(status s);

/// A status a handler may answer with: 200-599 (1xx are interim, the server's own business).
constexpr bool is_final(status s) {
  return code(s) >= 200 && code(s) <= 599;
}

/// 204 and 304 responses end with their header: no body, no body framing (RFC 9110 6.4.1).
constexpr bool has_body(status s) {
  return s != status::no_content && s != status::not_modified && code(s) >= 200;
}

/// A status that reports an error: 400-599.
constexpr bool is_error(status s) {
  return code(s) >= 400 && code(s) <= 599;
}

}  // namespace fastactor
