#pragma once
// An HTTP request as handlers see it: plain data, already parsed and routed by the server.

#include <fastactor/method.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastactor {

using name_value_list = std::vector<std::pair<std::string, std::string>>;

/// A parsed HTTP request, as a handler sees it (context::req()).
struct request {
  fastactor::method method = fastactor::method::get;  ///< see other_method for unknown ones
  std::string other_method;  ///< the token of a `method::other` request ("PROPFIND"), else ""
  std::string target;  ///< the request target as sent, e.g. "/stream?n=3"
  std::string path;  ///< percent-decoded path, e.g. "/stream"
  name_value_list query;  ///< percent-decoded query parameters, in order
  name_value_list params;  ///< path parameters captured by the route, e.g. {"id","7"}
  name_value_list headers;  ///< header fields as received
  name_value_list trailers;  ///< fields of a chunked body's trailer section, never merged into
                             ///< `headers` (RFC 9110 6.5.1); framing, routing and credential
                             ///< fields are refused there (400)
  std::string body;  ///< the whole body (at most --max-body-bytes)
  std::string peer;  ///< the client's address, e.g. "127.0.0.1:51234"
  unsigned version = 11;  ///< 10 for HTTP/1.0, 11 for HTTP/1.1, 20 for HTTP/2
  bool keep_alive = true;  ///< the connection stays open after the response

  /// The first query parameter called `name`, if any.
  std::optional<std::string_view> query_param(std::string_view name) const;
  /// The path parameter called `name` (":name" in the route), if any.
  std::optional<std::string_view> path_param(std::string_view name) const;
  /// The first header field called `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  /// HEAD: answered as GET, without the body.
  bool is_head() const { return method == fastactor::method::head; }
  /// The method as sent, e.g. "GET" or "PROPFIND".
  std::string_view method_name() const {
    return method == fastactor::method::other ? std::string_view{other_method} : to_string(method);
  }
};

/// ASCII case-insensitive comparison, as HTTP field names want.
bool iequals(std::string_view a, std::string_view b);

}  // namespace fastactor
