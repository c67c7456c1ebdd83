// Stopping a server (what SIGTERM does): running responses may finish within the drain
// timeout, the rest are cut off, idle connections close at once.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace testing;
using namespace std::chrono_literals;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.get("/stream/concurrent", shared_routes::stream_concurrent);
  return r;
}

}  // namespace

SCENARIO("stopping lets running responses finish, then closes", "[shutdown]") {
  auto cfg = test_server::default_config();
  cfg.drain_timeout_ms = 3000;
  test_server srv{test_routes(), cfg};
  http_client idle{srv.port()};
  CHECK(idle.get("/hello").body == "ok");
  http_client busy{srv.port()};
  busy.send_get("/stream/concurrent");  // about a second
  // The busy request is being answered — not merely the idle one's still being counted: its
  // client can read the answer before the writer hears that the write is done.
  REQUIRE(srv.server().wait_for(
    [](auto& s) { return s.requests_total == 2 && s.active_streams == 1 && s.live_workers > 0; },
    3s));
  auto stopped = std::async(std::launch::async, [&] { srv.server().stop(); });
  THEN("the idle connection closes at once") {
    CHECK(idle.closed_by_peer(2s));
  }
  THEN("the running response completes, and its connection closes after it") {
    auto r = busy.read_response();
    CHECK(r.complete);
    CHECK(r.body.size() > 0);
    CHECK(busy.closed_by_peer(3s));
  }
  stopped.get();
}

SCENARIO("stopping cuts off what outlasts the drain timeout", "[shutdown]") {
  auto cfg = test_server::default_config();
  cfg.drain_timeout_ms = 300;
  test_server srv{test_routes(), cfg};
  http_client c{srv.port()};
  c.send_get("/stream?n=1000&size=10&interval_ms=100");
  REQUIRE(srv.server().wait_for([](auto& s) { return s.live_workers == 1; }, 3s));
  auto start = clock_type::now();
  srv.server().stop();
  auto took = ms_between(start, clock_type::now());
  auto r = c.read_response();
  CHECK_FALSE(r.complete);
  CHECK(took >= 250);
  CHECK(took < 5000);
  CHECK(srv.stats().live_workers == 0);
}

SCENARIO("stopping with a handler that blocks its I/O thread closes that connection and waits",
         "[shutdown]") {
  auto cfg = test_server::default_config();
  cfg.drain_timeout_ms = 200;
  fastactor::router routes;
  std::atomic<bool> handler_returned{false};
  routes.get("/block", [&](fastactor::context&) {
    std::this_thread::sleep_for(4s);  // what a handler must never do
    handler_returned = true;
  });
  test_server srv{routes, cfg};
  http_client c{srv.port(), 10s};
  c.send_get("/block");
  REQUIRE(srv.server().wait_for([](auto& s) { return s.active_streams == 1; }, 3s));
  auto stopped = std::async(std::launch::async, [&] { srv.server().stop(); });
  THEN("the client is cut off while the handler still blocks; stop waits for it") {
    CHECK(c.closed_by_peer(3500ms));
    CHECK_FALSE(handler_returned);
    stopped.get();
    CHECK(handler_returned);
    CHECK(srv.stats().live_writers == 0);
  }
}

SCENARIO("a server stopped as a connection arrives still stops, with every actor ended",
         "[shutdown]") {
  // The race of a SIGTERM with a client: the connection is accepted while the listener is
  // closing. Its session must be seen and stopped; a session that started after the drain
  // left its writer half-run on a stopped io_context, and the actor system (the test
  // server's destructor here) waiting for it for ever.
  constexpr int rounds = 300;
  constexpr int clients = 4;
  for (std::size_t io_threads : {1, 2}) {
    GIVEN(std::to_string(io_threads) + " I/O thread(s), " + std::to_string(rounds) + " rounds") {
      auto cfg = test_server::default_config();
      cfg.io_threads = io_threads;
      auto done = std::make_shared<std::promise<void>>();
      auto stopped_all = done->get_future();
      // Detached, and owning what it uses: a hung round fails this test instead of hanging
      // the suite (it stays blocked, in its actor system's destructor, until the process ends).
      std::thread{[cfg, done] {
        for (int i = 0; i < rounds; ++i) {
          test_server srv{test_routes(), cfg};
          for (int k = 0; k < clients; ++k) {  // several accepts, so one is often under way
            http_client c{srv.port()};
            c.send_get("/stream?n=20&size=100&interval_ms=100");
          }
        }  // the server stops here, at once, and then its actor system
        done->set_value();
      }}.detach();
      THEN("every round's server and actor system go") {
        REQUIRE(stopped_all.wait_for(90s) == std::future_status::ready);
      }
    }
  }
}

SCENARIO("a stopped server is not started again", "[shutdown]") {
  test_server srv{test_routes()};
  srv.server().stop();
  THEN("start() says so, and the server's destructor still returns") {
    CHECK_THROWS_AS(srv.server().start(), std::logic_error);
  }
}

SCENARIO("two threads that stop a server at once both return with it stopped", "[shutdown]") {
  test_server srv{test_routes()};
  http_client busy{srv.port()};
  busy.send_get("/stream/concurrent");  // about a second: the drain waits for it
  REQUIRE(srv.server().wait_for([](auto& s) { return s.active_streams == 1; }, 3s));
  auto stop_and_look = [&] {
    srv.server().stop();
    return srv.server().stats().live_writers.load() + srv.server().stats().live_connections.load();
  };
  auto first = std::async(std::launch::async, stop_and_look);
  auto second = std::async(std::launch::async, stop_and_look);
  THEN("neither returns before the running response is done and every connection closed") {
    CHECK(first.get() == 0);
    CHECK(second.get() == 0);
    auto r = busy.read_response();
    CHECK(r.complete);
  }
}

namespace {

/// How a server started in a child process under a limit on threads ended (the child's exit
/// status: a process ended by std::terminate is 128 + SIGABRT, not one of these).
enum start_outcome : int {
  start_refused_and_undone = 0,  ///< start() threw std::system_error; the server stopped cleanly
  start_succeeded = 1,
  start_threw_something_else = 2,
  could_not_change_user = 3,  ///< (a container that may not, say): the test cannot run here
  restart_not_refused = 4,
  socket_still_listening = 5,
};

/// This process's threads ("Threads:" in /proc/self/status).
int thread_count() {
  std::ifstream status{"/proc/self/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0)
      return std::stoi(line.substr(8));
  return 0;
}

bool accepts_connections(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
  ::close(fd);
  return connected;
}

/// In a forked child: as a user nobody else is, whose threads RLIMIT_NPROC counts (root's it
/// does not, and another user's processes would count too), with room for `spare_threads`
/// more threads than the actor system has, starts a server that asks for four I/O threads.
start_outcome start_with_thread_limit(int spare_threads, bool access_log) {
  auto unused_id = static_cast<uid_t>(2'000'000'000 + ::getpid() % 1'000'000);
  if (::setgid(unused_id) != 0 || ::setuid(unused_id) != 0)
    return could_not_change_user;
  auto cfg = test_server::default_config();
  cfg.io_threads = 4;
  cfg.access_log = access_log;
  fastactor::system_config config;
  caf::actor_system sys{config};
  fastactor::server srv{sys, cfg, test_routes()};
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(thread_count() + spare_threads);
  ::setrlimit(RLIMIT_NPROC, &limit);
  try {
    srv.start();
    return start_succeeded;
  } catch (const std::system_error&) {
  } catch (...) {
    return start_threw_something_else;
  }
  if (accepts_connections(srv.port()))
    return socket_still_listening;
  try {
    srv.start();
    return restart_not_refused;
  } catch (const std::logic_error&) {
  }
  return start_refused_and_undone;  // and the server's and actor system's destructors return
}

/// Runs `outcome()` in a forked child: its exit status, 128 + signal, or -1 if it hung.
template <class F>
int in_child(F outcome, std::chrono::seconds patience) {
  child_process child;
  child.pid = ::fork();
  if (child.pid == 0) {
    // _exit: the parent's Catch must neither go on with its tests here nor run its exit
    // handlers.
    try {
      ::_exit(outcome());
    } catch (...) {
      ::_exit(99);
    }
  }
  return child.wait_exit(patience);
}

}  // namespace

SCENARIO("a server whose I/O threads cannot all start stops what it started", "[shutdown]") {
  if (::geteuid() != 0) {
    WARN("not root: no user whose thread limit this test could set");
    return;
  }
  auto check = [](int outcome) {
    if (outcome == could_not_change_user)
      WARN("the child could not change its user: a thread limit cannot be set here");
    else
      CHECK(outcome == start_refused_and_undone);
  };
  GIVEN("a limit that lets one of its four I/O threads start") {
    THEN("start() throws, the thread that started ends, the socket closes, the process lives") {
      check(in_child([] { return start_with_thread_limit(1, false); }, 60s));
    }
  }
  GIVEN("a limit that lets none start, with an access log whose flusher is armed") {
    THEN("the same") {
      check(in_child([] { return start_with_thread_limit(0, true); }, 60s));
    }
  }
}
