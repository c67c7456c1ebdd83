// A writer's share of the server's held response bytes (actors/held_share.hpp): plain
// arithmetic per scope, one update of the shared total per message.
#include "actors/held_share.hpp"

#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>

using fastactor::held_share;

SCENARIO("a writer's held bytes reach the server's total when it publishes them", "[held_share]") {
  std::atomic<std::int64_t> total{1000};  // what other writers hold
  GIVEN("a share that holds bytes it has not published") {
    held_share share{total};
    share.add(300);
    share.take(100);
    THEN("the total does not change yet, but the writer sees its own part in it") {
      CHECK(total.load() == 1000);
      CHECK(share.server_bytes() == 1200);
    }
    WHEN("it publishes") {
      share.publish();
      THEN("the total has the difference, once") {
        CHECK(total.load() == 1200);
        CHECK(share.server_bytes() == 1200);
        share.publish();
        CHECK(total.load() == 1200);
      }
    }
    WHEN("it takes back what it took, within the same message") {
      share.take(200);
      share.publish();
      THEN("the total is where it began") {
        CHECK(total.load() == 1000);
      }
    }
  }
  GIVEN("a share that goes away with bytes it has not published") {
    {
      held_share share{total};
      share.add(50);
    }
    THEN("they are published as it goes: the total never loses a change") {
      CHECK(total.load() == 1050);
    }
  }
  GIVEN("a share bound to its total after it was made, as a writer's state is") {
    held_share share;
    share.bind(total);
    share.take(1000);
    share.publish();
    THEN("it publishes there") {
      CHECK(total.load() == 0);
    }
  }
}

SCENARIO("a handler that reads the server's counters sees what it queued itself", "[held_share]") {
  GIVEN("a handler that queues 10,000 bytes, then reads the held response bytes") {
    fastactor::router routes;
    routes.get("/held", [](fastactor::context& ctx) {
      ctx.write(std::string(10'000, 'x'));
      ctx.write("|" + std::to_string(ctx.stats().queued_response_bytes.load()));
    });
    testing::test_server srv{std::move(routes)};
    WHEN("it is asked") {
      auto r = testing::http_get(srv.port(), "/held");
      THEN("its own bytes were in the count it read, and none are left after the response") {
        REQUIRE(r.status == 200);
        auto bar = r.body.find('|');
        REQUIRE(bar == 10'000);
        CHECK(std::stoll(r.body.substr(bar + 1)) >= 10'000);
        CHECK(srv.server().wait_for([](auto& s) { return s.queued_response_bytes == 0; },
                                    std::chrono::seconds(5)));
      }
    }
  }
}
