// The response writer's home (server/strand_execution_unit) outlives the writer's connection.
//
// The race this specifies, found by ASan in test_shutdown: the connection runs its idle writer
// at once for the message that ends it (the peer went away), and CAF's mailbox keeps its
// "blocked" mark for that whole run. A worker's message sent meanwhile lands in the mailbox as
// the waking one, and CAF wakes the writer through its home only after the push. A sender
// preempted in between calls the home after the writer quit, its state let the connection go
// and the session ended. The home (which the session used to hold) must still be there, and
// must drop the wake-up instead of posting it to a strand that no longer exists.
//
// The preemption is made on purpose: a home whose wake-ups from the late sender wait at a gate.

#include "actors/connection.hpp"
#include "actors/internal_messages.hpp"
#include "actors/response_writer.hpp"
#include "actors/runtime.hpp"
#include "server/strand_execution_unit.hpp"
#include "support/eventually.hpp"
#include <fastactor/options.hpp>

#include <boost/asio/io_context.hpp>
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <utility>

using namespace fastactor;

namespace {

constexpr connection_key test_key = 0x40e;

/// True on the thread of the sender whose wake-up is held back.
thread_local bool late_sender = false;

/// A home whose wake-ups from the late sender wait at a gate: CAF's push into the mailbox is
/// done, its exec_later not yet.
class gated_home : public strand_execution_unit {
public:
  using strand_execution_unit::strand_execution_unit;

  void exec_later(caf::resumable* ptr) override {
    if (late_sender) {
      at_gate.set_value();
      gate.wait();
    }
    strand_execution_unit::exec_later(ptr);
  }

  std::promise<void> at_gate;
  std::shared_future<void> gate;
};

/// A connection with an executor, as the session has one; `on_first_close` runs inside the
/// writer's run, where the writer closes it as it ends.
class closing_connection : public connection {
public:
  explicit closing_connection(boost::asio::io_context& ioc) : strand(ioc.get_executor()) {}

  bool write(channel_id, outgoing, write_kind) override { return true; }
  void reset(channel_id) override {}
  bool multiplexed() const override { return false; }
  void close() override {
    if (auto fn = std::exchange(on_first_close, nullptr))
      fn();
  }
  void set_timer(std::chrono::steady_clock::time_point) override {}
  void cancel_timer() override {}

  io_executor strand;
  std::function<void()> on_first_close;
};

/// A writer on a connection, the test playing the session. The io_context is not run: what
/// the home posts to the strand stays there, to be counted.
struct writer_setup {
  writer_setup() {
    home->set_owner({conn, &conn->strand});
    home->gate = open_gate.get_future().share();
    writer = spawn_response_writer(sys, conn, rt, home, test_key);
  }

  ~writer_setup() {
    if (late.joinable()) {  // a failed check must not leave the sender at the gate
      open_gate.set_value();
      late.join();
    }
  }

  caf::scheduled_actor& writer_actor() {
    return *static_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(writer));
  }

  /// What the session does when the peer goes away: runs the idle writer at once for it.
  /// While the writer closes its connection, another thread sends it a message whose wake-up
  /// is held at the gate. Returns whether it was (the message did wake the writer).
  bool end_with_a_late_message() {
    REQUIRE(home->may_run_at_once(writer_actor()));
    bool late_wake_up = false;
    conn->on_first_close = [this, &late_wake_up] {
      auto at_gate = home->at_gate.get_future();
      late = std::thread{[this] {
        late_sender = true;
        caf::anon_send(writer, shutdown_atom::value, test_key, true);
      }};
      late_wake_up = at_gate.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    };
    caf::mailbox_element_vals<caf::atom_value, connection_key> msg{
      nullptr, caf::make_message_id(), {}, closed_atom::value, test_key};
    home->run_at_once(writer_actor(), msg);
    return late_wake_up;
  }

  void let_the_late_wake_up_go() {
    open_gate.set_value();
    late.join();
  }

  system_config cfg;
  caf::actor_system sys{cfg};
  boost::asio::io_context ioc;
  std::shared_ptr<runtime> rt = std::make_shared<runtime>(response_limits{}, 1, "fastactor");
  std::shared_ptr<closing_connection> conn = std::make_shared<closing_connection>(ioc);
  std::shared_ptr<gated_home> home = std::make_shared<gated_home>(sys);
  std::promise<void> open_gate;
  caf::actor writer;
  std::thread late;
};

}  // namespace

SCENARIO("a writer's wake-up that comes after its connection is gone is dropped", "[writer_home]") {
  GIVEN("a writer that ended, run at once, with another thread's wake-up still on its way") {
    writer_setup s;
    REQUIRE(s.end_with_a_late_message());
    REQUIRE(s.rt->stats.live_writers.load() == 0);
    std::weak_ptr<closing_connection> conn_alive = s.conn;
    std::weak_ptr<gated_home> home_alive = s.home;
    s.home.reset();  // the writer's now, as once the session that made it is gone

    WHEN("the connection goes before the wake-up reaches the home") {
      s.conn.reset();
      REQUIRE(conn_alive.expired());  // the writer's state let it go
      s.let_the_late_wake_up_go();
      THEN("the home is still there, and posts nothing to the connection's strand") {
        CHECK(s.ioc.poll() == 0);
        AND_THEN("it goes with the writer") {
          CHECK_FALSE(home_alive.expired());  // the test's handle keeps the writer
          s.writer = nullptr;
          CHECK(testing::eventually([&] { return home_alive.expired(); }));
        }
      }
    }

    WHEN("the connection still lives when the wake-up comes") {
      s.let_the_late_wake_up_go();
      THEN("the wake-up is posted, and its turn finds the writer done") {
        CHECK(s.ioc.poll() == 1);
        CHECK(s.rt->stats.live_writers.load() == 0);
        s.writer = nullptr;
        CHECK(testing::eventually([&] { return home_alive.expired(); }));
      }
    }
  }
}

namespace {

/// Plays the session's writer_turn_ended: once, after the writer's first turn, it lets the
/// test's handle on the connection go and runs the writer at once for the message that ends
/// it, nested in the turn that just ended, as a pipelined request is run.
class nesting_listener : public strand_execution_unit::turn_listener {
public:
  explicit nesting_listener(writer_setup& s) : s_(s) {}

  void writer_turn_ended() override {
    if (std::exchange(nested_, true))
      return;  // the nested run's own end of turn
    alive = s_.conn;
    s_.conn.reset();
    caf::mailbox_element_vals<caf::atom_value, connection_key> msg{
      nullptr, caf::make_message_id(), {}, closed_atom::value, test_key};
    may_nest = s_.home->may_run_at_once(s_.writer_actor());
    s_.home->run_at_once(s_.writer_actor(), msg);
    writers_after_nested_run = s_.rt->stats.live_writers.load();
    alive_after_nested_run = !alive.expired();
  }

  std::weak_ptr<closing_connection> alive;
  bool may_nest = false;
  std::int64_t writers_after_nested_run = -1;
  bool alive_after_nested_run = false;

private:
  writer_setup& s_;
  bool nested_ = false;
};

}  // namespace

SCENARIO("a writer run at once inside another run's turn keeps its connection until that run "
         "returns",
         "[writer_home]") {
  GIVEN("a writer run at once, whose end of turn runs it at once again for the message that "
        "ends it") {
    writer_setup s;
    nesting_listener listener{s};
    s.home->set_turn_listener(&listener);
    REQUIRE(s.home->may_run_at_once(s.writer_actor()));
    WHEN("the writer, in the nested run, lets go of the connection's last other holder") {
      caf::mailbox_element_vals<caf::atom_value, connection_key> tick{
        nullptr, caf::make_message_id(), {}, timer_atom::value, test_key};
      s.home->run_at_once(s.writer_actor(), tick);
      THEN("the nested run ended the writer, and the outer run still held the connection") {
        CHECK(listener.may_nest);
        CHECK(listener.writers_after_nested_run == 0);
        // The outer run_at_once locked the owner; the nested one relied on that lock instead
        // of its own (owner_hold). Without either, the connection would be gone here.
        CHECK(listener.alive_after_nested_run);
        AND_THEN("the connection goes once the outer run returns") {
          CHECK(listener.alive.expired());
        }
      }
    }
  }
}
