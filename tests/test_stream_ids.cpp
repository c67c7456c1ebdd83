// stream_ids: every request scope's id, unique among a server's requests, handed out per
// thread in blocks (one locked addition per block, not per request).
#include "actors/stream_ids.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <set>
#include <thread>
#include <vector>

using fastactor::stream_id;
using fastactor::stream_ids;

namespace {

std::vector<stream_id> take(stream_ids& ids, std::size_t n) {
  std::vector<stream_id> got;
  for (std::size_t i = 0; i < n; ++i)
    got.push_back(ids.next());
  return got;
}

}  // namespace

SCENARIO("stream ids are unique among a server's requests, on any thread", "[stream_ids]") {
  GIVEN("a server's ids") {
    stream_ids ids;
    WHEN("one thread takes more than a block of them") {
      auto got = take(ids, stream_ids::default_block + 10);
      THEN("they count up from 1, with no gap inside a thread's block") {
        CHECK(got.front() == 1);
        CHECK(got[stream_ids::default_block - 1] == stream_ids::default_block);
        CHECK(std::set<stream_id>(got.begin(), got.end()).size() == got.size());
      }
      AND_THEN("the thread took its second block with the server's counter") {
        CHECK(ids.last_taken() == 2 * stream_ids::default_block);
      }
    }
    WHEN("four threads take ids at once") {
      constexpr std::size_t each = 3 * stream_ids::default_block + 7;
      std::vector<std::vector<stream_id>> got(4);
      std::vector<std::thread> threads;
      for (auto& mine : got)
        threads.emplace_back([&ids, &mine] { mine = take(ids, each); });
      for (auto& t : threads)
        t.join();
      THEN("no id is given twice, and none is 0") {
        std::set<stream_id> all;
        for (auto& mine : got)
          all.insert(mine.begin(), mine.end());
        CHECK(all.size() == 4 * each);
        CHECK(all.count(0) == 0);
      }
    }
  }
  GIVEN("ids that are taken one at a time (the writer fuzzer's)") {
    stream_ids ids;
    ids.use_blocks_of(1);
    THEN("each id is the one after the last taken") {
      for (int i = 0; i < 5; ++i) {
        auto expected = ids.last_taken() + 1;
        CHECK(ids.next() == expected);
      }
    }
  }
}

SCENARIO("a block's size is bounded, so that its end cannot wrap", "[stream_ids]") {
  GIVEN("ids asked to be taken in blocks as large as an id can count") {
    stream_ids ids;
    ids.use_blocks_of(~stream_id{0});
    WHEN("a thread takes ids, then another thread does") {
      auto first = ids.next();
      stream_id other = 0;
      std::thread{[&] { other = ids.next(); }}.join();
      THEN("each took a block of at most max_block: no id is 0, none is given twice") {
        CHECK(first == 1);
        CHECK(other == stream_ids::max_block + 1);
        CHECK(ids.last_taken() == 2 * stream_ids::max_block);
      }
    }
  }
  GIVEN("ids asked to be taken in blocks of none") {
    stream_ids ids;
    ids.use_blocks_of(0);
    THEN("they are taken one at a time") {
      CHECK(ids.next() == 1);
      CHECK(ids.last_taken() == 1);
    }
  }
}

SCENARIO("a thread's block is never used for a later server's ids", "[stream_ids]") {
  GIVEN("a server's ids, of which this thread took a block, and the server gone") {
    alignas(stream_ids) unsigned char storage[sizeof(stream_ids)];
    auto* first = new (storage) stream_ids;
    first->use_blocks_of(1000);
    CHECK(first->next() == 1);
    first->~stream_ids();
    WHEN("another server's ids are made at the same address") {
      auto* second = new (storage) stream_ids;
      THEN("this thread takes a block of the new server's, starting at 1 again") {
        CHECK(second->next() == 1);  // the old block would have given 2
        CHECK(second->last_taken() == stream_ids::default_block);
      }
      second->~stream_ids();
    }
  }
}
