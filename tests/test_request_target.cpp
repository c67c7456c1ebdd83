// How a request target becomes a path, query and route segments: a plain path (unreserved
// characters and slashes) is split directly, everything else goes through Boost.URL, and
// both must give the same answer wherever the fast path applies.
#include "server/request_reader.hpp"
#include <fastactor/router.hpp>

#include <boost/url/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fastactor;

namespace {

std::vector<std::string> url_segments(const std::string& target) {
  auto url = boost::urls::parse_origin_form(target);
  REQUIRE(url);
  std::vector<std::string> out;
  for (auto segment : url->segments())
    out.push_back(segment);
  return out;
}

}  // namespace

SCENARIO("a plain path is routed as Boost.URL would route it") {
  GIVEN("targets made of unreserved characters and slashes, odd ones included") {
    const std::vector<std::string> targets{"/",           "/hello",     "/stream/sse",   "/a/",
                                           "//",          "//a",        "/a//b/",        "/a.b",
                                           "/a/.b/..c",   "/~",         "/a.b~c-d_e/F9", "///x//",
                                           "/Mixed/CASE", "/0/1/2/3/4", "/.hidden",      "/a-/-b"};
    THEN("each is a plain path, its own decoded path, with Boost.URL's segments") {
      for (const auto& target : targets) {
        INFO(target);
        CHECK(is_plain_path(target));
        auto url = boost::urls::parse_origin_form(target);
        REQUIRE(url);
        CHECK(url->path() == target);
        CHECK(split_path(target) == url_segments(target));
      }
    }
  }
  GIVEN(
    "targets with a query, percent-encoding, reserved characters, dot segments or no leading slash") {
    const std::vector<std::string> targets{
      "/stream?n=3", "/a%20b", "/a+b",    "/a:b", "/a@b",  "/a;b", "/a#b", "*",
      "http://x/y",  "",       "/a b",    "/ä",   "/a,b",  "/a=b", "/a!b", "/a'b",
      "/./..",       "/a/./b", "/a/../b", "/.",   "/a/..", "/..",  "/./"};
    THEN("none takes the fast path: Boost.URL decides") {
      for (const auto& target : targets) {
        INFO(target);
        CHECK_FALSE(is_plain_path(target));
      }
    }
  }
}

SCENARIO("a request with a query or an encoded path still routes and decodes") {
  router routes;
  routes.get("/a b/:id", [](context&) {});
  GIVEN("an encoded path with a query") {
    routed_request in;
    in.req.target = "/a%20b/7?x=1&y=%41";
    route(in, routes);
    THEN("the path and the query are decoded and the route matched") {
      CHECK(in.req.path == "/a b/7");
      REQUIRE(in.req.query.size() == 2);
      CHECK(in.req.query[1].second == "A");
      REQUIRE(in.req.params.size() == 1);
      CHECK(in.req.params[0].second == "7");
    }
  }
  GIVEN("a plain path") {
    routed_request in;
    in.req.target = "/nowhere/7";
    route(in, routes);
    THEN("it is its own path, without a query") {
      CHECK(in.req.path == "/nowhere/7");
      CHECK(in.req.query.empty());
      CHECK(in.req.params.empty());
    }
  }
}
