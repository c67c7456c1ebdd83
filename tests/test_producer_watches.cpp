// How a server's writers learn that a shared producer ended (actors/producer_watches.hpp): one
// attachment per server on the producer, a count per writer that holds it. A producer that
// ends tells each writer that still holds it, once, with the server's token; a writer that let
// go is not told; and a server that goes takes its attachment off a producer that lives on, so
// that a producer outliving many servers in one actor system does not collect them.
#include "actors/internal_messages.hpp"
#include "actors/producer_watches.hpp"

#include <fastactor/options.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>

using namespace std::chrono_literals;
using fastactor::producer_ended_atom;
using fastactor::producer_watches;

namespace {

using idle_atom = caf::atom_constant<caf::atom("pw_idle")>;

/// A producer that does nothing until it is stopped. (It takes an argument: CAF 0.17 spawning
/// a function actor without one trips UBSan in its own headers, docs/robustness.md.)
caf::behavior idle_producer(caf::event_based_actor*, int) {
  return {[](idle_atom) {}};
}

/// What a producer_watches told `writer`, if it told it anything within `wait`.
struct end_message {
  caf::actor_addr producer;
  caf::error reason;
  std::uint64_t token;
};

std::optional<end_message> next_end(caf::scoped_actor& writer,
                                    std::chrono::milliseconds wait = 2s) {
  std::optional<end_message> got;
  writer->receive(
    [&](producer_ended_atom, const caf::actor_addr& who, const caf::error& reason,
        std::uint64_t token) {
      got = end_message{who, reason, token};
    },
    caf::after(wait) >> [] {});
  return got;
}

/// The number of this watches' attachments taken off `producer` (0 or 1): a test that looks
/// takes it off.
std::size_t detach_attachment(const caf::actor& producer, const producer_watches& watches) {
  return caf::actor_cast<caf::abstract_actor*>(producer)->detach(
    caf::attachable::token{producer_watches::attachment_token_type, &watches});
}

}  // namespace

SCENARIO("a producer that ends tells each writer that holds it, once", "[producer-watches]") {
  fastactor::system_config cfg;
  caf::actor_system sys{cfg};
  auto watches = std::make_shared<producer_watches>(42);
  caf::scoped_actor writer{sys};
  caf::scoped_actor other{sys};
  auto producer = sys.spawn(idle_producer, 0);
  GIVEN("one writer holding it twice, another once and then letting go") {
    watches->add(producer, writer->address());
    watches->add(producer, writer->address());
    watches->add(producer, other->address());
    watches->remove(producer.address(), other->address());
    WHEN("the producer is killed") {
      caf::anon_send_exit(producer, caf::exit_reason::kill);
      THEN("the holding writer hears it once, with the producer, the reason and the token") {
        auto end = next_end(writer);
        REQUIRE(end);
        CHECK(end->producer == producer.address());
        CHECK(end->reason == caf::exit_reason::kill);
        CHECK(end->token == 42);
        CHECK_FALSE(next_end(writer, 200ms));
      }
      AND_THEN("the writer that let go hears nothing") {
        CHECK_FALSE(next_end(other, 300ms));
      }
    }
  }
  GIVEN("a producer that has already ended") {
    auto gone = sys.spawn(idle_producer, 1);
    caf::anon_send_exit(gone, caf::exit_reason::user_shutdown);
    writer->wait_for(gone);
    WHEN("a writer subscribes to it") {
      watches->add(gone, writer->address());
      THEN("it is told at once") {
        auto end = next_end(writer);
        REQUIRE(end);
        CHECK(end->reason == caf::exit_reason::user_shutdown);
      }
    }
  }
  caf::anon_send_exit(producer, caf::exit_reason::kill);
}

SCENARIO("a server that goes takes its attachment off a producer that lives on",
         "[producer-watches]") {
  fastactor::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor writer{sys};
  auto producer = sys.spawn(idle_producer, 0);
  GIVEN("two servers' watches, each holding the producer for a writer") {
    auto kept = std::make_shared<producer_watches>(1);
    auto leaving = std::make_shared<producer_watches>(2);
    kept->add(producer, writer->address());
    leaving->add(producer, writer->address());
    WHEN("one server goes while the producer lives on") {
      const producer_watches* left = leaving.get();
      leaving.reset();
      THEN("its attachment is gone from the producer; the other server's is still there") {
        CHECK(detach_attachment(producer, *kept) == 1);  // the check can see an attachment
        CHECK(caf::actor_cast<caf::abstract_actor*>(producer)->detach(
                caf::attachable::token{producer_watches::attachment_token_type, left})
              == 0);
      }
    }
    WHEN("the producer then ends") {
      leaving.reset();
      caf::anon_send_exit(producer, caf::exit_reason::kill);
      THEN("only the server still there tells its writer") {
        auto end = next_end(writer);
        REQUIRE(end);
        CHECK(end->token == 1);
        CHECK_FALSE(next_end(writer, 300ms));
      }
    }
  }
  caf::anon_send_exit(producer, caf::exit_reason::kill);
}
