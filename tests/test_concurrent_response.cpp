// concurrent_response, the WithConcurrentResponse scope, is safe where the Go analogy leads:
// captured by reference in a task and written from the pool thread, or written after the
// body returned. What belongs to the body (spawn, go) refuses to run elsewhere.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

fastactor::router scope_routes() {
  fastactor::router r;
  r.get("/by-reference", [](fastactor::context& ctx) {
    fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
      cr.ctx().buffer_response();  // all results, or one report listing them with the errors
      cr.write("from the body\n");
      for (int i = 0; i < 3; ++i)
        cr.go([&cr, i](fastactor::task_context&) {  // what Go code does with its writer
          std::this_thread::sleep_for(std::chrono::milliseconds(50 * (i + 1)));
          cr.write("from task " + std::to_string(i) + "\n");
          if (i == 2)
            cr.fail("task 2 says no", fastactor::status::bad_gateway);
        });
    });
  });
  r.get("/spawn-from-task", [](fastactor::context& ctx) {
    fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
      cr.go([&cr](fastactor::task_context&) {
        cr.go([](fastactor::task_context&) {});  // not the body: refused
      });
    });
  });
  return r;
}

}  // namespace

SCENARIO("a concurrent_response captured by reference in tasks is safe", "[concurrent]") {
  test_server srv{scope_routes()};
  auto r = http_get(srv.port(), "/by-reference");
  THEN("the body's and every task's writes arrive, and the task's error is collected") {
    CHECK(r.status == 502);  // an error before the first byte: the report, with the results
    CHECK(r.body.find("from the body") != std::string::npos);
    for (int i = 0; i < 3; ++i)
      CHECK(r.body.find("from task " + std::to_string(i)) != std::string::npos);
    CHECK(r.body.find("task 2 says no") != std::string::npos);
    CHECK(srv.idle());
  }
}

SCENARIO("what belongs to the with_concurrent_response body refuses to run elsewhere",
         "[concurrent]") {
  test_server srv{scope_routes()};
  auto r = http_get(srv.port(), "/spawn-from-task");
  CHECK(r.status == 500);
  CHECK(r.body.find("belongs to the with_concurrent_response body") != std::string::npos);
}
