// The node-side half of a remote worker (actors/remote_worker_host.hpp) takes orders only from
// a server's proxy: an owner that is missing or on the host's own node, or a host asked to
// host a host, is refused before anything is spawned. (Its life with a real server — the
// worker's end, the owner's end, the lease — is tested across processes in test_remote.cpp.)
#include "actors/remote_worker_host.hpp"
#include <fastactor/fastactor.hpp>
#include <fastactor/remote.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>

using namespace std::chrono_literals;

namespace {

std::atomic<int> spawned{0};

caf::behavior counted_worker(caf::event_based_actor*) {
  ++spawned;
  return {[](int) {}};
}

/// Spawns a host by name, as a server's remote spawn does, and returns how it ended.
caf::error host_end(caf::actor_system& sys, caf::message args) {
  auto host = sys.spawn<caf::actor>(fastactor::detail::remote_worker_host_type, std::move(args));
  REQUIRE(host);
  caf::scoped_actor self{sys};
  self->monitor(*host);
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = std::move(msg.reason); },
                caf::after(10s) >> [] { FAIL("the host did not end"); });
  return reason;
}

}  // namespace

SCENARIO("a worker host refuses any owner but a server's proxy", "[remote]") {
  fastactor::system_config cfg;
  fastactor::configure_remote(cfg, {});
  cfg.add_actor_type("fastactor.test.counted", counted_worker);
  caf::actor_system sys{cfg};
  spawned = 0;
  GIVEN("an owner on the host's own node") {
    // An argument: CAF 0.17.6's spawn of a function without one reads a null pointer (UBSan).
    auto local =
      sys.spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
    THEN("the host ends at once, invalid_argument, and spawned nothing") {
      CHECK(
        host_end(
          sys, caf::make_message(local, std::string{"fastactor.test.counted"}, caf::make_message()))
        == caf::sec::invalid_argument);
      CHECK(spawned == 0);
    }
    caf::anon_send_exit(local, caf::exit_reason::kill);
  }
  GIVEN("no owner at all") {
    THEN("the same") {
      CHECK(host_end(sys,
                     caf::make_message(caf::actor{}, std::string{"fastactor.test.counted"},
                                       caf::make_message()))
            == caf::sec::invalid_argument);
      CHECK(spawned == 0);
    }
  }
  GIVEN("a host asked to host a host (nested as deep as a peer likes)") {
    auto inner =
      caf::make_message(caf::actor{}, std::string{"fastactor.test.counted"}, caf::make_message());
    THEN("it refuses before spawning the inner one") {
      CHECK(
        host_end(sys,
                 caf::make_message(caf::actor{},
                                   std::string{fastactor::detail::remote_worker_host_type}, inner))
        == caf::sec::invalid_argument);
      CHECK(spawned == 0);
    }
  }
}
