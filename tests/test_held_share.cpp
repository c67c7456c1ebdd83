// A writer's share of the server's held response bytes (actors/held_share.hpp): plain
// arithmetic per scope, one update of the shared total per message.
#include "actors/held_share.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>

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
