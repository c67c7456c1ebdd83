// The memory a request's header is parsed into (server/header_arena.hpp): fields are cut from
// one buffer in the request's own block while they fit, and come from the heap once they do
// not; a parser reused for the next request (incoming_request::restart) starts on an empty
// arena, and its requests keep their own fields. Leaks and overruns are ASan's to catch (the
// suite runs under it).
#include "server/header_arena.hpp"
#include "server/request_reader.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <new>
#include <string>

using namespace fastactor;

namespace {

bool aligned(const void* p, std::size_t align) {
  return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

/// Feeds `text` to the parser of `in` until its header is done.
void parse(incoming_request& in, const std::string& text) {
  boost::beast::error_code ec;
  auto used = in.parser().put(boost::asio::buffer(text), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(used == text.size());
  REQUIRE(in.parser().is_header_done());
}

}  // namespace

SCENARIO("a header arena hands out its buffer, then the heap", "[header_arena]") {
  header_arena arena;
  GIVEN("requests that fit") {
    auto* a = arena.allocate(40, 8);
    auto* b = arena.allocate(3, 1);
    auto* c = arena.allocate(16, 16);
    THEN("they are cut from the buffer in turn, aligned as asked") {
      CHECK(arena.owns(a));
      CHECK(arena.owns(b));
      CHECK(arena.owns(c));
      CHECK(static_cast<char*>(b) == static_cast<char*>(a) + 40);
      CHECK(aligned(c, 16));
      CHECK(arena.used() == 64);
    }
    AND_THEN("giving them back frees nothing, a reset starts the buffer again") {
      arena.deallocate(a, 40);
      CHECK(arena.used() == 64);
      arena.reset();
      CHECK(arena.allocate(8, 8) == a);
    }
  }
  GIVEN("a request larger than what is left") {
    arena.allocate(header_arena::capacity - 8, 8);
    auto* big = arena.allocate(64, 8);
    THEN("it comes from the heap, and is freed when given back") {
      CHECK_FALSE(arena.owns(big));
      CHECK(aligned(big, 8));
      arena.deallocate(big, 64);  // a leak or a bad free here is ASan's to report
      CHECK(arena.used() == header_arena::capacity - 8);
    }
  }
  GIVEN("an allocator without an arena") {
    header_allocator<int> heap;
    auto* p = heap.allocate(4);
    THEN("it is the heap's") {
      p[3] = 7;
      CHECK(p[3] == 7);
      heap.deallocate(p, 4);
      CHECK(heap == header_allocator<char>{});
      CHECK(heap != header_allocator<char>{&arena});
    }
  }
}

SCENARIO("a parser made again for the next request keeps each request's fields its own",
         "[header_arena]") {
  server_config cfg;
  incoming_request in{cfg};
  GIVEN("a small request, then one with more fields than the arena holds, then a small one") {
    parse(in, "GET /a HTTP/1.1\r\nHost: x\r\nX-Tag: first\r\n\r\n");
    CHECK(in.get()["X-Tag"] == "first");
    in.restart();
    std::string many = "GET /b HTTP/1.1\r\nHost: y\r\n";
    for (int i = 0; i < 40; ++i)
      many += "X-Field-" + std::to_string(i) + ": " + std::string(20, 'a' + i % 26) + "\r\n";
    many += "X-Tag: second\r\n\r\n";
    parse(in, many);
    THEN("the large one has all of its fields, past the arena on the heap") {
      CHECK(in.get().target() == "/b");
      CHECK(in.get()["X-Field-0"] == std::string(20, 'a'));
      CHECK(in.get()["X-Field-39"] == std::string(20, 'a' + 39 % 26));
      CHECK(in.get()["X-Tag"] == "second");
      CHECK(in.get()["Host"] == "y");
    }
    AND_THEN("the next starts over, with none of the last one's fields") {
      in.restart();
      parse(in, "GET /c HTTP/1.1\r\nHost: z\r\n\r\n");
      CHECK(in.get().target() == "/c");
      CHECK(in.get()["Host"] == "z");
      CHECK(in.get().count("X-Tag") == 0);
      CHECK(in.get().count("X-Field-0") == 0);
    }
  }
}

SCENARIO("an arena's every block is its own, a zero-byte one at its end included",
         "[header_arena]") {
  header_arena arena;
  arena.allocate(header_arena::capacity - 1, 1);
  void* last = arena.allocate(0, 1);
  THEN("a zero-byte request still gets a block the arena knows as its own") {
    CHECK(arena.owns(last));
    arena.deallocate(last, 0);  // not freed: a heap free here would be ASan's to report
  }
  AND_THEN("once full, even a zero-byte request goes to the heap, and is freed there") {
    void* beyond = arena.allocate(0, 1);
    CHECK_FALSE(arena.owns(beyond));
    arena.deallocate(beyond, 0);
  }
}

SCENARIO("an allocator asked for more than memory can hold refuses", "[header_arena]") {
  header_arena arena;
  header_allocator<std::uint64_t> alloc{&arena};
  CHECK_THROWS_AS(alloc.allocate(std::numeric_limits<std::size_t>::max() / 4),
                  std::bad_array_new_length);
}
