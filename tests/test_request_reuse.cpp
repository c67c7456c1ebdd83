// A connection's next request carried by its last one's memory (server/request_reuse.hpp):
// a handler sees its own request only, never a field, a parameter, a body or a trailer left
// from the one before on the same connection, whether the requests come one by one (each
// made anew: the connection waited) or pipelined (each carried by the one before); and what
// a reused request keeps is bounded, whatever the last one grew to.
#include "server/request_reuse.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace testing;

namespace {

/// Everything a handler can see of its request, one item per line.
std::string describe(const fastactor::request& req) {
  std::string out = "method=" + std::string{req.method_name()} + "\n";
  out += "version=" + std::to_string(req.version) + "\n";
  out += "keep_alive=" + std::to_string(req.keep_alive) + "\n";
  out += "target=" + req.target + "\n";
  out += "path=" + req.path + "\n";
  for (const auto& [name, value] : req.query)
    out += "query " + name + "=" + value + "\n";
  for (const auto& [name, value] : req.params)
    out += "param " + name + "=" + value + "\n";
  for (const auto& [name, value] : req.headers)
    out += "header " + name + "=" + value + "\n";
  for (const auto& [name, value] : req.trailers)
    out += "trailer " + name + "=" + value + "\n";
  out += "body=" + req.body + "\n";
  out += "peer=" + std::string{req.peer.empty() ? "none" : "set"} + "\n";
  return out;
}

/// Each route's handler says which route it is: a request run by the handler of the one
/// before would show.
fastactor::router echo_routes() {
  fastactor::router r;
  auto echo = [](std::string route) {
    return [route](fastactor::context& ctx) {
      ctx.write("route=" + route + "\n" + describe(ctx.req()));
    };
  };
  r.get("/echo/:id", echo("get echo"));
  r.post("/echo/:id", echo("post echo"));
  r.get("/plain", echo("plain"));
  r.get("/other", echo("other"));
  return r;
}

struct exchange {
  std::string request;
  int status;
  std::string description;  ///< the handler's describe(), or a part of the error report
};

/// The same requests, answered the same, however they are sent.
std::vector<exchange> mixed_requests() {
  std::string many_fields;
  for (int i = 0; i < 99; ++i)  // with Host, --max-header-fields (100)
    many_fields += "X-Field-" + std::to_string(i) + ": " + std::string(20, 'v') + "\r\n";
  std::string long_target = "/echo/9?" + std::string(600, 'q') + "=1";
  return {
    {"POST /echo/1?a=1&b=two HTTP/1.1\r\nHost: x\r\nX-First: yes\r\n"
     "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trail: t\r\n\r\n",
     200,
     "route=post echo\nmethod=POST\nversion=11\nkeep_alive=1\ntarget=/echo/1?a=1&b=two\npath=/echo/1\n"
     "query a=1\nquery b=two\nparam id=1\nheader Host=x\nheader X-First=yes\n"
     "header Transfer-Encoding=chunked\ntrailer X-Trail=t\nbody=hello\npeer=set\n"},
    {"GET /echo/2 HTTP/1.1\r\nHost: y\r\n\r\n", 200,
     "route=get echo\nmethod=GET\nversion=11\nkeep_alive=1\ntarget=/echo/2\npath=/echo/2\nparam id=2\n"
     "header Host=y\nbody=\npeer=set\n"},
    {"PROPFIND /echo/3 HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method PROPFIND not allowed"},
    {"GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200,
     "route=plain\nmethod=GET\nversion=10\nkeep_alive=1\ntarget=/plain\npath=/plain\n"
     "header Connection=keep-alive\nbody=\npeer=set\n"},
    {"GET " + long_target + " HTTP/1.1\r\nHost: x\r\n" + many_fields + "\r\n", 200,
     "header X-Field-98=" + std::string(20, 'v') + "\nbody=\npeer=set\n"},
    {"GET /plain HTTP/1.1\r\nHost: z\r\n\r\n", 200,
     "route=plain\nmethod=GET\nversion=11\nkeep_alive=1\ntarget=/plain\npath=/plain\n"
     "header Host=z\nbody=\npeer=set\n"},
    {"GET /other HTTP/1.1\r\nHost: z\r\n\r\n", 200,
     "route=other\nmethod=GET\nversion=11\nkeep_alive=1\ntarget=/other\npath=/other\n"
     "header Host=z\nbody=\npeer=set\n"},
    {"GET /nowhere HTTP/1.1\r\nHost: z\r\n\r\n", 404, "no route for /nowhere"},
    {"GET /echo/%zz HTTP/1.1\r\nHost: z\r\n\r\n", 400, "malformed request target"},
    {"GET /echo/5?q=%41 HTTP/1.1\r\nHost: z\r\n\r\n", 200,
     "route=get echo\nmethod=GET\nversion=11\nkeep_alive=1\ntarget=/echo/5?q=%41\npath=/echo/5\n"
     "query q=A\nparam id=5\nheader Host=z\nbody=\npeer=set\n"},
    {"GET /plain HTTP/1.1\r\nHost: z\r\n\r\n", 200,
     "route=plain\nmethod=GET\nversion=11\nkeep_alive=1\ntarget=/plain\npath=/plain\n"
     "header Host=z\nbody=\npeer=set\n"},
  };
}

void check_answer(const http_response& got, const exchange& sent) {
  INFO("request: " << sent.request.substr(0, sent.request.find('\r')));
  CHECK(got.complete);
  CHECK(got.status == sent.status);
  if (sent.status == 200 && sent.description.rfind("route=", 0) == 0)
    CHECK(got.body == sent.description);  // all of it: nothing of an earlier request
  else
    CHECK(got.body.find(sent.description) != std::string::npos);
}

}  // namespace

SCENARIO("a reused request is cleared of everything the last one carried") {
  GIVEN("a request that filled every part, and grew past what a reused one keeps") {
    fastactor::routed_request in;
    auto& req = in.req;
    req.method = fastactor::method::other;
    req.other_method = "PROPFIND";
    req.target = "/a/" + std::string(4096, 't') + "?x=1";
    req.path = "/a/" + std::string(4096, 't');
    for (int i = 0; i < 100; ++i) {
      req.query.emplace_back("x", "1");
      req.params.emplace_back("id", "7");
      req.trailers.emplace_back("X-Trail", "t");
    }
    req.other_method += std::string(1000, 'P');
    for (int i = 0; i < 1000; ++i)
      req.headers.emplace_back("X-" + std::to_string(i), "v");
    req.body = std::string(64 * 1024, 'b');
    req.peer = "127.0.0.1:4242";
    req.version = 10;
    req.keep_alive = false;
    in.fn = std::make_shared<const fastactor::handler>([](fastactor::context&) {});
    in.arrived = std::chrono::steady_clock::now();

    WHEN("it is cleared for the connection's next request") {
      fastactor::clear_for_reuse(in);

      THEN("it reads as a new request of the same connection") {
        CHECK(req.method == fastactor::method::get);
        CHECK(req.other_method.empty());
        CHECK(req.target.empty());
        CHECK(req.path.empty());
        CHECK(req.query.empty());
        CHECK(req.params.empty());
        CHECK(req.headers.empty());
        CHECK(req.trailers.empty());
        CHECK(req.body.empty());
        CHECK(in.fn == nullptr);  // made for it alone (as a 404's is): it goes
        CHECK(req.version == 11);
        CHECK(req.keep_alive);
        CHECK(in.arrived == std::chrono::steady_clock::time_point{});
        CHECK(req.peer == "127.0.0.1:4242");  // the same connection, the same peer
      }
      THEN("it keeps none of the growth: an idle connection holds little") {
        for (const auto* s : {&req.other_method, &req.target, &req.path, &req.body})
          CHECK(s->capacity() <= fastactor::reuse_string_max);
        for (const auto* list : {&req.query, &req.params, &req.headers, &req.trailers})
          CHECK(list->capacity() <= fastactor::reuse_fields_max);
      }
    }
  }

  GIVEN("a small request, routed to a route's handler") {
    auto route_handler = std::make_shared<const fastactor::handler>([](fastactor::context&) {});
    fastactor::routed_request in;
    in.req.target = "/hello";
    in.req.headers.reserve(fastactor::reuse_fields_max);
    in.req.headers.emplace_back("Host", "x");
    in.fn = route_handler;  // the router holds it too
    WHEN("it is cleared") {
      fastactor::clear_for_reuse(in);
      THEN("it keeps its room for the next request's fields, and the route's handler") {
        CHECK(in.req.headers.empty());
        CHECK(in.req.headers.capacity() == fastactor::reuse_fields_max);
        CHECK(in.fn == route_handler);
      }
    }
  }
}

SCENARIO("requests on one connection see nothing of each other's") {
  GIVEN("a server whose handlers describe the request they got") {
    test_server srv{echo_routes()};
    auto requests = mixed_requests();

    WHEN("a client sends different requests one by one on one connection") {
      http_client client{srv.port()};
      THEN("each handler saw its own request only, each made anew (the connection waited)") {
        for (const auto& sent : requests) {
          client.send(sent.request);
          check_answer(client.read_response(), sent);
        }
        CHECK(srv.stats().reused_requests_total == 0);
      }
    }

    WHEN("a client pipelines them, twice over, in one write") {
      http_client client{srv.port()};
      std::string batch;
      for (int round = 0; round < 2; ++round)
        for (const auto& sent : requests)
          batch += sent.request;
      client.send(batch);
      THEN("each handler saw its own request only, most carried by the one before") {
        for (int round = 0; round < 2; ++round)
          for (const auto& sent : requests)
            check_answer(client.read_response(), sent);
        CHECK(srv.stats().reused_requests_total > requests.size());
      }
    }

    WHEN("a pipelined HTTP/1.0 request with Transfer-Encoding ends the batch") {
      http_client client{srv.port()};
      auto last = exchange{"POST /echo/8 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
                           "Connection: keep-alive\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
                           200,
                           "route=post echo\nmethod=POST\nversion=10\nkeep_alive=0\n"
                           "target=/echo/8\npath=/echo/8\nparam id=8\n"
                           "header Transfer-Encoding=chunked\nheader Connection=keep-alive\n"
                           "body=hi\npeer=set\n"};
      client.send(requests[1].request + requests[3].request + last.request);
      THEN("its faulty framing closes the connection after its answer, as before") {
        check_answer(client.read_response(), requests[1]);
        check_answer(client.read_response(), requests[3]);
        check_answer(client.read_response(), last);
        CHECK(client.closed_by_peer());
      }
    }
  }
}
