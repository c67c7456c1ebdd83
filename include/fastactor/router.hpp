#pragma once
// router: method + path -> handler, with path parameters (":name" segments).
//
//   router r;
//   r.get("/hello", hello);
//   r.get("/users/:id", show_user);     // ctx.req().path_param("id")
//
// A path that no route matches answers 404; a path that matches with another method answers
// 405 with an `Allow` header. HEAD is served by the GET route (without a body).

#include <fastactor/handler.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fastactor {

class router {
public:
  router& add(std::string method, std::string pattern, handler fn);
  router& get(std::string pattern, handler fn) { return add("GET", std::move(pattern), std::move(fn)); }
  router& post(std::string pattern, handler fn) { return add("POST", std::move(pattern), std::move(fn)); }
  router& put(std::string pattern, handler fn) { return add("PUT", std::move(pattern), std::move(fn)); }
  router& del(std::string pattern, handler fn) { return add("DELETE", std::move(pattern), std::move(fn)); }

  struct match {
    std::shared_ptr<const handler> fn;  ///< the route's handler, or one answering 404/405
    name_value_list params;             ///< captured path parameters
    std::uint16_t status = 200;         ///< 200 for a route, else 404 or 405
    std::string allow;                  ///< with 405: the methods the path has
  };

  /// The handler for `method` on the (decoded) path `segments`. Never empty: without a route
  /// it is a handler that fails with 404, or 405 and `Allow`.
  match route(std::string_view method, const std::vector<std::string>& segments) const;

  /// A handler that fails the request with `status` and `message` (for the server's own
  /// answers to bad requests).
  static std::shared_ptr<const handler> error_handler(std::uint16_t status, std::string message,
                                                      std::string allow = {});

private:
  struct route_entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  ///< ":name" captures a segment
    std::shared_ptr<const handler> fn;
  };

  static bool matches(const route_entry& r, const std::vector<std::string>& segments,
                      name_value_list* params);

  std::vector<route_entry> routes_;
};

/// Splits "/a/b/" into {"a", "b", ""}; "/" into {}.
std::vector<std::string> split_path(std::string_view path);

} // namespace fastactor
