// The quiet clock (actors/quiet_clock.hpp, actors/quiet_scheduler.hpp): with fastactor's
// system_config, an actor that exits without having set a timeout wakes no clock thread, and
// CAF's timeouts and delayed messages work as before.
#include "actors/quiet_clock.hpp"
#include "actors/quiet_scheduler.hpp"

#include <fastactor/options.hpp>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using fastactor::detail::quiet_clock;
using fastactor::detail::quiet_scheduler;

namespace {

using quit_atom = caf::atom_constant<caf::atom("qc_quit")>;
using fired_atom = caf::atom_constant<caf::atom("qc_fired")>;
using ping_atom = caf::atom_constant<caf::atom("qc_ping")>;

constexpr int exiting_actors = 500;

/// The id of this process's thread called `name` (/proc/self/task/*/comm), if there is one.
std::optional<long> thread_named(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator{"/proc/self/task"}) {
    std::ifstream comm{task.path() / "comm"};
    std::string line;
    if (std::getline(comm, line) && line == name)
      return std::stol(task.path().filename().string());
  }
  return std::nullopt;
}

/// thread_named(), waiting up to a second for the thread to be there and named.
std::optional<long> wait_for_thread_named(const std::string& name) {
  for (int i = 0; i < 100; ++i) {
    if (auto tid = thread_named(name))
      return tid;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

/// How often thread `tid` of this process has gone to sleep (voluntary context switches).
long voluntary_switches(long tid) {
  std::ifstream status{"/proc/self/task/" + std::to_string(tid) + "/status"};
  std::string key;
  while (status >> key) {
    if (key == "voluntary_ctxt_switches:") {
      long n = 0;
      status >> n;
      return n;
    }
    status.ignore(1 << 16, '\n');
  }
  FAIL("no voluntary_ctxt_switches for thread " << tid);
  return 0;
}

// Every actor here is spawned with an argument, as fastactor's are: CAF's init_fun_factory
// binds a reference to a null tuple when a function-based actor is spawned without one
// (a UBSan report inside CAF; docs/robustness.md).
constexpr int an_argument = 0;

caf::behavior quits_when_told(caf::event_based_actor* self, int) {
  return {[=](quit_atom) { self->quit(); }};
}

/// How the actors of clock_wakeups_for_exits() are told to quit.
enum class exits {
  at_once,  ///< all messages sent in one go (the clock thread may take many events per wake-up)
  one_by_one,  ///< 1 ms apart, like connections that close over time
};

/// Wake-ups of the thread called `clock_thread` while `exiting_actors` actors that never set
/// a timeout are told to quit and end.
long clock_wakeups_for_exits(caf::actor_system& sys, const std::string& clock_thread, exits how) {
  std::vector<caf::actor> actors;
  for (int i = 0; i < exiting_actors; ++i)
    actors.push_back(sys.spawn(quits_when_told, an_argument));
  std::this_thread::sleep_for(200ms);  // all started and idle
  auto tid = wait_for_thread_named(clock_thread);
  REQUIRE(tid);
  auto before = voluntary_switches(*tid);
  for (auto& actor : actors) {
    caf::anon_send(actor, quit_atom::value);
    if (how == exits::one_by_one)
      std::this_thread::sleep_for(1ms);
  }
  actors.clear();
  sys.await_all_actors_done();
  std::this_thread::sleep_for(200ms);  // cleanup cancels timeouts after the count drops
  return voluntary_switches(*tid) - before;
}

/// parse_options() on `args`, as a server's command line.
void parse(fastactor::system_config& cfg, std::vector<std::string> args) {
  args.insert(args.begin(), "test");
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  auto result = fastactor::parse_options(cfg, static_cast<int>(argv.size()), argv.data());
  REQUIRE(result.outcome == fastactor::parse_outcome::run);
}

quiet_clock& quiet_clock_of(caf::actor_system& sys) {
  auto* clock = dynamic_cast<quiet_clock*>(&sys.clock());
  REQUIRE(clock != nullptr);
  return *clock;
}

struct silent_state {
  std::vector<caf::response_promise> kept;  // never delivered
};

/// Takes every int request and never answers it.
caf::behavior never_answers(caf::stateful_actor<silent_state>* self, int) {
  return {[=](int) { self->state.kept.push_back(self->make_response_promise()); }};
}

}  // namespace

SCENARIO("the quiet clock: actors without timeouts exit without waking a clock thread", "[clock]") {
  GIVEN("an actor system made from fastactor's system_config, as the server makes it") {
    fastactor::system_config cfg;
    parse(cfg, {});
    caf::actor_system sys{cfg};
    THEN("its scheduler is the quiet one, with its clock on a thread called fa.clock") {
      CHECK(dynamic_cast<quiet_scheduler*>(&sys.scheduler()) != nullptr);
      CHECK(wait_for_thread_named("fa.clock"));
    }
    for (auto how : {exits::at_once, exits::one_by_one}) {
      WHEN(exiting_actors << " actors that never set a timeout quit "
                          << (how == exits::at_once ? "at once" : "one by one, 1 ms apart")) {
        auto idle_caf_clock = wait_for_thread_named("caf.clock");
        REQUIRE(idle_caf_clock);
        auto caf_clock_before = voluntary_switches(*idle_caf_clock);
        auto wakeups = clock_wakeups_for_exits(sys, "fa.clock", how);
        auto caf_clock_wakeups = voluntary_switches(*idle_caf_clock) - caf_clock_before;
        THEN("the clock thread wakes far fewer times than that") {
          INFO("fa.clock woke " << wakeups << " times");
          CHECK(wakeups < 50);
          AND_THEN("CAF's own clock thread, unused, sleeps throughout") {
            INFO("caf.clock woke " << caf_clock_wakeups << " times");
            CHECK(caf_clock_wakeups < 50);
          }
          AND_THEN("the clock remembers no actor") {
            CHECK(quiet_clock_of(sys).actors_with_timeouts() == 0);
          }
        }
      }
    }
  }
  GIVEN("the same exits with CAF's own clock (the measurement's control)") {
    WHEN("the actor system is a plain caf::actor_system_config with the sharing policy") {
      caf::actor_system_config cfg;
      cfg.set("scheduler.policy", caf::atom("sharing"));
      cfg.set("logger.console", caf::atom("none"));
      caf::actor_system sys{cfg};
      auto wakeups = clock_wakeups_for_exits(sys, "caf.clock", exits::one_by_one);
      THEN("one by one, caf.clock wakes for most exits (so the test above would fail)") {
        INFO("caf.clock woke " << wakeups << " times for " << exiting_actors << " exits");
        CHECK(wakeups >= exiting_actors / 2);
      }
    }
    WHEN("fastactor's system_config is told --scheduler.policy=stealing") {
      fastactor::system_config cfg;
      parse(cfg, {"--scheduler.policy=stealing"});
      caf::actor_system sys{cfg};
      THEN("the scheduler is CAF's own, with no fa.clock thread") {
        CHECK(dynamic_cast<quiet_scheduler*>(&sys.scheduler()) == nullptr);
        CHECK(dynamic_cast<quiet_clock*>(&sys.clock()) == nullptr);
        CHECK_FALSE(thread_named("fa.clock"));
      }
      AND_WHEN(exiting_actors << " actors quit one by one") {
        auto wakeups = clock_wakeups_for_exits(sys, "caf.clock", exits::one_by_one);
        THEN("caf.clock wakes for most of them, as CAF's clock does") {
          INFO("caf.clock woke " << wakeups << " times for " << exiting_actors << " exits");
          CHECK(wakeups >= exiting_actors / 2);
        }
      }
    }
  }
}

SCENARIO("the quiet clock: timeouts and delayed messages work as before", "[clock][timeout]") {
  GIVEN("an actor system made from fastactor's system_config") {
    fastactor::system_config cfg;
    parse(cfg, {});
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto& clock = quiet_clock_of(sys);

    WHEN("an actor's behavior has caf::after(50ms)") {
      auto started = std::chrono::steady_clock::now();
      auto actor = sys.spawn(
        [](caf::event_based_actor* me, caf::actor report_to) -> caf::behavior {
          return {[](int) {},
                  caf::after(50ms) >>
                    [=] {
                      me->send(report_to, fired_atom::value);
                      me->quit();
                    }};
        },
        caf::actor{self});
      THEN("the timeout fires") {
        bool fired = false;
        self->receive([&](fired_atom) { fired = true; }, caf::after(5s) >> [] {});
        CHECK(fired);
        CHECK(std::chrono::steady_clock::now() - started >= 50ms);
        AND_THEN("once the actor has ended, the clock forgets it") {
          self->wait_for(actor);
          std::this_thread::sleep_for(50ms);  // its cleanup runs after it is reported done
          CHECK(clock.actors_with_timeouts() == 0);
        }
      }
    }

    WHEN("an actor requests with a 50 ms timeout from an actor that never answers") {
      auto silent = sys.spawn(never_answers, an_argument);
      sys.spawn(
        [](caf::event_based_actor* me, caf::actor to, caf::actor report_to) {
          me->request(to, caf::duration{50ms}, 1)
            .then([=](int) { me->send(report_to, ping_atom::value); },
                  [=](caf::error& err) {
                    me->send(report_to, err);
                    me->quit();
                  });
        },
        silent, caf::actor{self});
      THEN("it gets request_timeout") {
        caf::error got;
        bool answered = false;
        self->receive([&](caf::error& err) { got = err; }, [&](ping_atom) { answered = true; },
                      caf::after(5s) >> [] {});
        CHECK_FALSE(answered);
        CHECK(got == caf::sec::request_timeout);
      }
      caf::anon_send_exit(silent, caf::exit_reason::kill);
    }

    WHEN("actors set timeouts (after and a request timeout) and quit before they fire") {
      auto fired = std::make_shared<std::atomic<int>>(0);
      auto silent = sys.spawn(never_answers, an_argument);
      auto waits = sys.spawn(
        [fired](caf::event_based_actor* me, int) -> caf::behavior {
          return {[=](quit_atom) { me->quit(); }, caf::after(200ms) >> [=] { ++*fired; }};
        },
        an_argument);
      auto asks = sys.spawn(
        [fired](caf::event_based_actor* me, caf::actor to) -> caf::behavior {
          me->request(to, caf::duration{200ms}, 1)
            .then([=](int) { ++*fired; }, [=](caf::error&) { ++*fired; });
          return {[=](quit_atom) { me->quit(); }};
        },
        silent);
      std::this_thread::sleep_for(20ms);  // both have set their timeouts
      CHECK(clock.actors_with_timeouts() >= 2);
      self->send(waits, quit_atom::value);
      self->send(asks, quit_atom::value);
      self->wait_for(waits, asks);
      THEN("neither fires later, nothing breaks, and the clock forgets both") {
        std::this_thread::sleep_for(400ms);
        CHECK(*fired == 0);
        CHECK(clock.actors_with_timeouts() == 0);
        AND_THEN("the clock still serves a new timeout") {
          sys.spawn(
            [](caf::event_based_actor* me, caf::actor report_to) -> caf::behavior {
              return {[](int) {},
                      caf::after(20ms) >>
                        [=] {
                          me->send(report_to, fired_atom::value);
                          me->quit();
                        }};
            },
            caf::actor{self});
          bool got = false;
          self->receive([&](fired_atom) { got = true; }, caf::after(5s) >> [] {});
          CHECK(got);
        }
      }
      caf::anon_send_exit(silent, caf::exit_reason::kill);
    }

    WHEN("an actor and a scoped actor delayed_send 50 ms ahead") {
      auto started = std::chrono::steady_clock::now();
      sys.spawn([](caf::event_based_actor* me,
                   caf::actor to) { me->delayed_send(to, 50ms, fired_atom::value); },
                caf::actor{self});
      self->delayed_send(self, 50ms, ping_atom::value);
      THEN("both messages arrive, no sooner than 50 ms") {
        int arrived = 0;
        for (int i = 0; i < 2; ++i)
          self->receive([&](fired_atom) { ++arrived; }, [&](ping_atom) { ++arrived; },
                        caf::after(5s) >> [] {});
        CHECK(arrived == 2);
        CHECK(std::chrono::steady_clock::now() - started >= 50ms);
      }
    }
  }
}

SCENARIO("the quiet clock: the actor system shuts down with timeouts pending", "[clock][timeout]") {
  GIVEN("fastactor's system_config") {
    fastactor::system_config cfg;
    parse(cfg, {});
    WHEN("a system with timeouts, a request timeout and a delayed message 10 s ahead is "
         "destroyed once its actors are killed") {
      auto started = std::chrono::steady_clock::now();
      {
        caf::actor_system sys{cfg};
        auto silent = sys.spawn(never_answers, an_argument);
        auto waits = sys.spawn(
          [](caf::event_based_actor* me, int) -> caf::behavior {
            return {[=](quit_atom) { me->quit(); }, caf::after(10s) >> [] {}};
          },
          an_argument);
        auto asks = sys.spawn(
          [](caf::event_based_actor* me, caf::actor to) -> caf::behavior {
            me->request(to, caf::duration{10s}, 1).then([](int) {}, [](caf::error&) {});
            return {[=](quit_atom) { me->quit(); }};
          },
          silent);
        caf::delayed_anon_send(waits, 10s, quit_atom::value);
        std::this_thread::sleep_for(20ms);
        for (auto& actor : {silent, waits, asks})
          caf::anon_send_exit(actor, caf::exit_reason::kill);
      }
      THEN("it is gone well before any of them is due") {
        CHECK(std::chrono::steady_clock::now() - started < 5s);
      }
    }
    WHEN("a system that does not wait for its actors is destroyed while one of them waits on "
         "after(10s)") {
      auto started = std::chrono::steady_clock::now();
      {
        caf::actor_system sys{cfg};
        sys.await_actors_before_shutdown(false);
        sys.spawn(
          [](caf::event_based_actor*, int) -> caf::behavior {
            return {[](int) {}, caf::after(10s) >> [] {}};
          },
          an_argument);
        std::this_thread::sleep_for(20ms);
      }
      THEN("it is gone well before the timeout is due") {
        CHECK(std::chrono::steady_clock::now() - started < 5s);
      }
    }
  }
}
