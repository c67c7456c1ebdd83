// The router: method + path to handler, path parameters, 404 and 405 with Allow.
#include <fastactor/router.hpp>

#include "actors/request_scope.hpp"
#include "actors/runtime.hpp"
#include <fastactor/context.hpp>

#include <catch2/catch.hpp>

#include <optional>

using namespace fastactor;

namespace {

handler named(int* hit, int value) {
  return [hit, value](context&) { *hit = value; };
}

/// What running a route's handler did: which `named` handler ran, or what an error handler
/// (404/405) recorded.
struct handler_call {
  int hit = 0;  ///< the value `named` set, 0 if none ran
  std::vector<worker_error> errors;  ///< errors an error handler recorded
  name_value_list headers;  ///< headers it set
};

/// Runs the handler a route returned, as the writer would. The context needs no actor: the
/// handlers here only set `hit`, or set a header and record an error in the scope.

handler_call call(const router::match& m, int& hit) {
  REQUIRE(m.fn);
  hit = 0;
  runtime rt{response_limits{}, 1, "test"};
  held_share held{rt.stats.queued_response_bytes};
  request_scope scope{1, 0, std::make_shared<routed_request>(), held};
  context ctx{nullptr, scope, rt};
  (*m.fn)(ctx);
  rt.pool.stop();
  return {hit, scope.errors, scope.headers};
}

}  // namespace

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
    auto m = r.route(method::get, split_path("/hello"));
    THEN("the GET /hello handler is returned, not the POST one") {
      CHECK(m.status == status::ok);
      CHECK(call(m, hit).hit == 1);
      CHECK(call(r.route(method::post, split_path("/hello")), hit).hit == 2);
    }
  }
  WHEN("a path with parameters is routed") {
    auto m = r.route(method::get, split_path("/users/42/posts/7"));
    THEN("its handler is returned and the parameters are captured by name") {
      CHECK(call(m, hit).hit == 3);
      REQUIRE(m.params.size() == 2);
      CHECK(m.params[0] == std::make_pair(std::string{"id"}, std::string{"42"}));
      CHECK(m.params[1] == std::make_pair(std::string{"post"}, std::string{"7"}));
    }
  }
  WHEN("an empty segment meets a parameter") {
    auto m = r.route(method::get, split_path("/users//posts/7"));
    THEN("it does not match") {
      CHECK(m.status == status::not_found);
      CHECK(m.params.empty());
      CHECK(call(m, hit).hit == 0);
    }
  }
  WHEN("HEAD is routed to a path with a GET route") {
    auto get = r.route(method::get, split_path("/hello"));
    auto head = r.route(method::head, split_path("/hello"));
    THEN("the GET handler serves it") {
      CHECK(head.status == status::ok);
      CHECK(call(head, hit).hit == 1);
      CHECK(head.fn == get.fn);
    }
  }
  WHEN("the root is routed") {
    auto m = r.route(method::get, split_path("/"));
    THEN("the root route serves it") {
      CHECK(call(m, hit).hit == 4);
      CHECK(call(r.route(method::get, {}), hit).hit == 4);
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
    auto m = r.route(method::get, split_path("/nothing/here"));
    THEN("the answer is 404 through an error handler, no route's handler") {
      CHECK(m.status == status::not_found);
      auto c = call(m, hit);
      CHECK(c.hit == 0);
      REQUIRE(c.errors.size() == 1);
      CHECK(c.errors[0].status == status::not_found);
    }
  }
  WHEN("the path exists for other methods only") {
    auto m = r.route(method::put, split_path("/items"));
    THEN("the answer is 405 and Allow lists the path's methods, HEAD with GET") {
      CHECK(m.status == status::method_not_allowed);
      CHECK(m.allow == "GET, POST, HEAD");
      auto c = call(m, hit);
      CHECK(c.hit == 0);
      REQUIRE(c.errors.size() == 1);
      CHECK(c.errors[0].status == status::method_not_allowed);
      CHECK(c.headers == name_value_list{{"Allow", "GET, POST, HEAD"}});
    }
  }
  WHEN("a parameterized path exists for DELETE only") {
    auto m = r.route(method::get, split_path("/items/9"));
    THEN("Allow names DELETE and not HEAD") {
      CHECK(m.status == status::method_not_allowed);
      CHECK(m.allow == "DELETE");
      CHECK(call(m, hit).hit == 0);
      CHECK(call(r.route(method::delete_, split_path("/items/9")), hit).hit == 3);
    }
  }
}

SCENARIO("a method the server does not know has no route", "[router]") {
  int hit = 0;
  router r;
  r.get("/items", named(&hit, 1));

  WHEN("an extension method, or a known one in the wrong case, is parsed") {
    THEN("it is method::other: methods are case-sensitive") {
      CHECK(parse_method("PROPFIND") == method::other);
      CHECK(parse_method("get") == method::other);
      CHECK(parse_method("GET") == method::get);
      CHECK(parse_method("DELETE") == method::delete_);
      CHECK(to_string(method::patch) == "PATCH");
    }
  }
  WHEN("it is routed to a path that has routes") {
    auto m = r.route(method::other, split_path("/items"), "PROPFIND");
    THEN("the answer is 405 naming the method as sent, as for any method without a route") {
      CHECK(m.status == status::method_not_allowed);
      CHECK(m.allow == "GET, HEAD");
      auto c = call(m, hit);
      CHECK(c.hit == 0);
      REQUIRE(c.errors.size() == 1);
      CHECK(c.errors[0].message.find("method PROPFIND not allowed") != std::string::npos);
    }
  }
  WHEN("a route is added for method::other") {
    THEN("it is refused: it could never match") {
      CHECK_THROWS_AS(r.add(method::other, "/x", named(&hit, 2)), std::invalid_argument);
    }
  }
}

SCENARIO("a path found by lookup finds what the full search finds", "[router]") {
  int hit = 0;
  GIVEN("routes in an order where a parameter route comes first, and repeated paths") {
    router r;
    r.get("/users/:id", named(&hit, 1));  // matches /users/me before the route below
    r.get("/users/me", named(&hit, 2));
    r.post("/users/me", named(&hit, 3));  // another method: its own entry
    r.get("/hello", named(&hit, 4));
    r.get("/hello", named(&hit, 5));  // never reached: the first one wins
    r.get("/", named(&hit, 6));
    r.put("/a/b/", named(&hit, 7));
    THEN("every method and path routes alike, 404 and 405 included") {
      const std::vector<std::string> paths{"/users/me", "/users/7", "/hello",   "/",
                                           "/a/b/",     "/a/b",     "/nothing", "//hello"};
      for (auto m : {method::get, method::head, method::post, method::put, method::delete_})
        for (const auto& path : paths) {
          INFO(to_string(m) << " " << path);
          auto slow = r.route(m, split_path(path));
          auto fast = r.route_path(m, path);
          CHECK(fast.status == slow.status);
          CHECK(fast.allow == slow.allow);
          CHECK(fast.params == slow.params);
          CHECK(call(fast, hit).hit == call(slow, hit).hit);
        }
    }
    THEN("the parameter route keeps /users/me for GET, the static one serves POST") {
      CHECK(call(r.route_path(method::get, "/users/me"), hit).hit == 1);
      CHECK(call(r.route_path(method::post, "/users/me"), hit).hit == 3);
      CHECK(call(r.route_path(method::head, "/hello"), hit).hit == 4);
    }
    THEN("find_exact gives the handler route_path finds by lookup, and nothing else") {
      for (auto m : {method::get, method::head, method::post, method::put, method::delete_})
        for (std::string path : {"/users/me", "/users/7", "/hello", "/", "/a/b/", "/nothing"}) {
          INFO(to_string(m) << " " << path);
          auto* exact = r.find_exact(m, path);
          auto full = r.route(m, split_path(path));  // the search without the lookup
          if (exact)
            CHECK(*exact == full.fn);  // the route's own handler, not a copy of another
          else  // a parameter route, or none (404/405)
            CHECK((full.status != status::ok || !full.params.empty()));
        }
      CHECK(r.find_exact(method::get, "/users/me") == nullptr);  // the parameter route wins
      CHECK(r.find_exact(method::post, "/users/me") != nullptr);
      CHECK(r.find_exact(method::head, "/hello") == r.find_exact(method::get, "/hello"));
    }
  }
  GIVEN("a router copied, and the original gone (the server keeps a copy of the user's)") {
    std::optional<router> original{std::in_place};
    original->get("/hello", named(&hit, 1));
    original->get(std::string(100, 'x').insert(0, "/"), named(&hit, 2));  // a key past SSO
    router copy = *original;
    original.reset();
    copy.post("/hello", named(&hit, 3));  // the copy grows on its own
    THEN("the copy still finds its exact routes by lookup, and its own new one") {
      REQUIRE(copy.find_exact(method::get, "/hello") != nullptr);  // by the table, not a search
      REQUIRE(copy.find_exact(method::get, "/" + std::string(100, 'x')) != nullptr);
      REQUIRE(copy.find_exact(method::post, "/hello") != nullptr);
      CHECK(call(copy.route_path(method::get, "/hello"), hit).hit == 1);
      CHECK(call(copy.route_path(method::get, "/" + std::string(100, 'x')), hit).hit == 2);
      CHECK(call(copy.route_path(method::post, "/hello"), hit).hit == 3);
    }
    WHEN("a router is assigned over it, and then itself") {
      router other;
      other.get("/other", named(&hit, 4));
      copy = other;
      other = router{};
      auto& same = copy;
      copy = std::move(same);
      THEN("it routes as the one assigned, by the table") {
        CHECK(copy.find_exact(method::get, "/hello") == nullptr);
        REQUIRE(copy.find_exact(method::get, "/other") != nullptr);
        CHECK(call(copy.route_path(method::get, "/other"), hit).hit == 4);
      }
    }
  }
}
