// The router: method + path to handler, path parameters, 404 and 405 with Allow.
#include "server/router.hpp"

#include <catch2/catch.hpp>

using namespace fastactor;

namespace {

handler named(int* hit, int value) {
  return [hit, value](context&) { *hit = value; };
}

} // namespace

SCENARIO("paths split into segments", "[router]") {
  CHECK(split_path("/") == std::vector<std::string>{});
  CHECK(split_path("/a/b") == std::vector<std::string>{"a", "b"});
  CHECK(split_path("/a/") == std::vector<std::string>{"a", ""});
}

SCENARIO("the router picks the route of the method and path", "[router]") {
  int hit = 0;
  router r;
  r.get("/hello", named(&hit, 1));
  r.post("/hello", named(&hit, 2));
  r.get("/users/:id/posts/:post", named(&hit, 3));
  r.get("/", named(&hit, 4));

  WHEN("GET /hello is routed") {
    auto m = r.route("GET", split_path("/hello"));
    THEN("a route is found, and it is not the POST route") {
      REQUIRE(m.fn);
      CHECK(m.status == 200);
      CHECK(m.fn != r.route("POST", split_path("/hello")).fn);
    }
  }
  WHEN("a path with parameters is routed") {
    auto m = r.route("GET", split_path("/users/42/posts/7"));
    THEN("the parameters are captured by name") {
      REQUIRE(m.params.size() == 2);
      CHECK(m.params[0] == std::make_pair(std::string{"id"}, std::string{"42"}));
      CHECK(m.params[1] == std::make_pair(std::string{"post"}, std::string{"7"}));
    }
  }
  WHEN("an empty segment meets a parameter") {
    auto m = r.route("GET", split_path("/users//posts/7"));
    THEN("it does not match") {
      CHECK(m.status == 404);
      CHECK(m.params.empty());
    }
  }
  WHEN("HEAD is routed to a path with a GET route") {
    auto get = r.route("GET", split_path("/hello"));
    auto head = r.route("HEAD", split_path("/hello"));
    THEN("the GET handler serves it") {
      CHECK(head.fn == get.fn);
    }
  }
  WHEN("the root is routed") {
    auto m = r.route("GET", split_path("/"));
    THEN("the root route serves it") {
      CHECK(m.fn == r.route("GET", {}).fn);
    }
  }
}

SCENARIO("a path without a route is 404, a path with other methods is 405", "[router]") {
  int hit = 0;
  router r;
  r.get("/items", named(&hit, 1));
  r.post("/items", named(&hit, 2));
  r.del("/items/:id", named(&hit, 3));

  WHEN("no route has the path") {
    auto m = r.route("GET", split_path("/nothing/here"));
    THEN("the answer is 404 through an error handler") {
      CHECK(m.status == 404);
      CHECK(m.fn);
    }
  }
  WHEN("the path exists for other methods only") {
    auto m = r.route("PUT", split_path("/items"));
    THEN("the answer is 405 and Allow lists the path's methods, HEAD with GET") {
      CHECK(m.status == 405);
      CHECK(m.allow == "GET, POST, HEAD");
    }
  }
  WHEN("a parameterized path exists for DELETE only") {
    auto m = r.route("GET", split_path("/items/9"));
    THEN("Allow names DELETE and not HEAD") {
      CHECK(m.status == 405);
      CHECK(m.allow == "DELETE");
    }
  }
}
