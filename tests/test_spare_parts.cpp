// spare_parts: the one emptied vector of body parts a thread keeps for its next response.
// (A vector is told by its capacity: a new one asked for room for n parts has room for n, the
// spare has the room it was given back with. Its address would prove nothing: malloc hands a
// freed block straight back.)
#include "protocol/spare_parts.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

namespace spare_parts = fastactor::spare_parts;

SCENARIO("a thread keeps one small emptied vector of parts for its next response",
         "[spare_parts][memory]") {
  (void)spare_parts::take(0);  // the thread's spare, if any, taken and freed: none at the start
  GIVEN("a response's parts, written, in a vector with room for 7") {
    std::vector<std::string> parts;
    parts.reserve(7);
    parts.emplace_back(std::string(100, 'h'));
    parts.emplace_back("ok");
    WHEN("it is given back") {
      spare_parts::give(parts);
      THEN("the giver holds nothing any more") {
        CHECK(parts.empty());
        CHECK(parts.capacity() == 0);
      }
      AND_THEN("the next body on this thread takes that vector, empty") {
        auto next = spare_parts::take(5);
        CHECK(next.empty());
        CHECK(next.capacity() == 7);
        AND_THEN("the one after it gets a vector of its own") {
          CHECK(spare_parts::take(5).capacity() == 5);
        }
      }
      AND_THEN("a body that needs more room than the spare has gets a vector of its own") {
        CHECK(spare_parts::take(8).capacity() == 8);
        CHECK(spare_parts::take(5).capacity() == 7);  // the spare was left for the next
      }
      AND_THEN("another thread does not get it") {
        std::size_t there = 0;
        std::thread{[&there] { there = spare_parts::take(1).capacity(); }}.join();
        CHECK(there == 1);
        CHECK(spare_parts::take(5).capacity() == 7);
      }
    }
  }
  GIVEN("a stream's parts, more than keep_max") {
    std::vector<std::string> parts(spare_parts::keep_max + 1, "chunk");
    WHEN("they are given back") {
      spare_parts::give(parts);
      THEN("their memory is freed, not kept for the thread") {
        CHECK(parts.capacity() == 0);
        CHECK(spare_parts::take(1).capacity() == 1);
      }
    }
  }
}
