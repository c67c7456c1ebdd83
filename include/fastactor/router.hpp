#pragma once
// router: method + path -> handler, with path parameters (":name" segments).
//
//   router r;
//   r.get("/hello", hello);
//   r.get("/users/:id", show_user);     // ctx.req().path_param("id")
//
// A path that no route matches answers 404; a path that matches with another method answers
// 405 with an `Allow` header. HEAD is served by the GET route (without a body). A method
// the server does not know (`method::other`) has no route: 404 or 405 like any other.

#include <fastactor/handler.hpp>
#include <fastactor/method.hpp>
#include <fastactor/status.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fastactor {

/// Method + path pattern -> handler. Built before the server starts, read-only afterwards.
class router {
public:
  /// A router without routes.
  router() = default;
  /// A copy: it shares the handlers, and the (never changed) keys of the exact routes.
  router(const router&) = default;
  /// Takes the routes of `other`.
  router(router&&) noexcept = default;
  /// By copy and swap: the table of exact routes holds views into the router's own keys, so
  /// an assignment that failed halfway (out of memory) or a self-move must not leave the
  /// table and its keys apart.
  router& operator=(router other) noexcept {
    routes_.swap(other.routes_);
    by_path_.swap(other.by_path_);
    path_keys_.swap(other.path_keys_);
    return *this;
  }
  /// Frees the routes (handlers still held by a request under way live on with it).
  ~router() = default;

  /// Adds a route; `method::other` would never match and is refused (std::invalid_argument).
  router& add(method m, std::string pattern, handler fn);
  /// A GET route (HEAD is served by it too).
  router& get(std::string pattern, handler fn) {
    return add(method::get, std::move(pattern), std::move(fn));
  }
  /// A POST route.
  router& post(std::string pattern, handler fn) {
    return add(method::post, std::move(pattern), std::move(fn));
  }
  /// A PUT route.
  router& put(std::string pattern, handler fn) {
    return add(method::put, std::move(pattern), std::move(fn));
  }
  /// A DELETE route.
  router& del(std::string pattern, handler fn) {
    return add(method::delete_, std::move(pattern), std::move(fn));
  }

  /// What route() found.
  struct match {
    std::shared_ptr<const handler> fn;  ///< the route's handler, or one answering 404/405
    name_value_list params;  ///< captured path parameters
    fastactor::status status = fastactor::status::ok;  ///< ok for a route, else 404 or 405
    std::string allow;  ///< with 405: the methods the path has
  };

  /// The handler for `req_method` on the (decoded) path `segments`. Never empty: without a
  /// route it is a handler that fails with 404, or 405 and `Allow`. `name`: the method as
  /// sent, for the 405's message (a `method::other` has no name of its own).
  match route(method req_method, const std::vector<std::string>& segments,
              std::string_view name = {}) const;

  /// The same for a path that needs no decoding ("/stream/sse"): a route without parameters
  /// is found by one lookup, anything else as route() finds it.
  match route_path(method req_method, std::string_view path, std::string_view name = {}) const;

  /// The handler of the route without parameters at `path` (as route_path() takes it), if
  /// route_path() would find one by its one lookup; else null. The handler is not copied:
  /// the server routes each request with it, and a connection's request often holds that
  /// handler already.
  const std::shared_ptr<const handler>* find_exact(method req_method, std::string_view path) const;

  /// A handler that fails the request with `status` and `message` (for the server's own
  /// answers to bad requests).
  static std::shared_ptr<const handler> error_handler(status code, std::string message,
                                                      std::string allow = {});

private:
  struct route_entry {
    fastactor::method method;
    std::string pattern;
    std::vector<std::string> segments;  ///< ":name" captures a segment
    std::shared_ptr<const handler> fn;
  };

  /// Makes route `index` (one without parameters) found by find_exact.
  void index_exact(std::size_t index);

  static bool matches(const route_entry& r, const std::vector<std::string>& segments,
                      name_value_list* params);

  std::vector<route_entry> routes_;
  /// Routes without parameters by path ("/" + segments joined), in the order added, each
  /// unless an earlier route of its method with parameters matches its path (which route()
  /// would find first).
  /// Keyed by views, so that a request's path is looked up without a string made of it
  /// (~75 instructions of a /hello); the keys' characters live in path_keys_, shared and
  /// never changed, so that a copy of the router keeps them valid too.
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_path_;
  std::vector<std::shared_ptr<const std::string>> path_keys_;
};

/// Splits "/a/b/" into {"a", "b", ""}; "/" into {}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace fastactor
