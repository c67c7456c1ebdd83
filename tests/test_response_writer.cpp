// The response writer's state machine (open -> streaming -> finishing) and error policy,
// driven directly: the socket side is a recording connection, so each test can hold a write
// "in flight" as long as it likes and look at exactly what the writer wrote. The writer runs
// where the server runs it: on an Asio strand of an I/O thread (server/strand_execution_unit).
#include "actors/response_writer.hpp"
#include "protocol/http1_framer.hpp"
#include "server/strand_execution_unit.hpp"
#include "support/eventually.hpp"
#include <fastactor/context.hpp>
#include <fastactor/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

using namespace fastactor;
using namespace std::chrono_literals;

namespace {

/// The key the fixture plays the connection with.
constexpr connection_key test_key = 0x5eed;

struct recorded_write {
  std::string bytes;
  write_kind kind;
};

class recording_connection : public connection {
public:
  explicit recording_connection(boost::asio::io_context& ioc) : timer_(ioc) {}

  bool write(channel_id, outgoing out, write_kind kind) override {
    std::string joined;
    for (auto& p : framer_.frame(std::move(out)))
      joined += p;
    std::lock_guard<std::mutex> guard{mtx_};
    writes_.push_back({std::move(joined), kind});
    cv_.notify_all();
    return auto_complete_;  // as a socket that takes every write at once
  }

  void reset(channel_id) override { close(); }
  bool multiplexed() const override { return false; }

  void close() override {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    cv_.notify_all();
  }

  // The writer's timer, as the session does it: an Asio timer that sends timer_atom.
  void set_timer(std::chrono::steady_clock::time_point due) override {
    timer_.expires_at(due);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec)
        caf::anon_send(writer(), timer_atom::value, test_key);
    });
  }

  void cancel_timer() override { timer_.cancel(); }

  caf::actor writer() {
    std::lock_guard<std::mutex> guard{mtx_};
    return writer_;
  }

  void attach(caf::actor writer, bool auto_complete) {
    std::lock_guard<std::mutex> guard{mtx_};
    writer_ = std::move(writer);
    auto_complete_ = auto_complete;
  }

  /// Completes the write in flight (for tests that hold writes).
  void complete_write(bool ok = true) {
    caf::anon_send(writer_, write_done_atom::value, test_key, channel_id{0}, ok);
  }

  /// Waits until `n` writes were made; returns them.
  std::vector<recorded_write> wait_writes(std::size_t n, std::chrono::milliseconds t = 5s) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, t, [&] { return writes_.size() >= n; });
    return writes_;
  }

  bool wait_closed(std::chrono::milliseconds t = 5s) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, t, [&] { return closed_; });
  }

  std::size_t write_count() {
    std::lock_guard<std::mutex> guard{mtx_};
    return writes_.size();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<recorded_write> writes_;
  http1_framer framer_;  // used on the writer's strand only
  boost::asio::steady_timer timer_;  // used on the writer's strand only
  caf::actor writer_;
  bool auto_complete_ = true;
  bool closed_ = false;
};

/// An actor system, an I/O thread, a runtime and one writer on a recording connection.
struct writer_fixture {
  /// `listener`: told after each of the writer's turns, as the session is.
  explicit writer_fixture(bool auto_complete = true, response_limits limits = {},
                          strand_execution_unit::turn_listener* listener = nullptr)
    : sys(cfg), work(ioc.get_executor()), io_thread([this] { ioc.run(); }),
      rt(std::make_shared<runtime>(limits, 2, "fastactor")),
      conn(std::make_shared<recording_connection>(ioc)), strand(ioc.get_executor()),
      strand_owner(std::make_shared<const io_executor>(strand)),
      home(std::make_shared<strand_execution_unit>(sys)) {
    home->set_owner(strand_owner);
    home->set_turn_listener(listener);
    writer = spawn_response_writer(sys, conn, rt, home, test_key);
    conn->attach(writer, auto_complete);
  }

  ~writer_fixture() {
    caf::anon_send(writer, shutdown_atom::value, test_key, true);
    rt->pool.stop();
    eventually([this] { return rt->stats.live_writers == 0; });
    // As the server does: the io_context stops only once nothing can post to it. A late
    // wake-up of the writer (a worker's message) posts while it holds the strand's owner.
    std::weak_ptr<const io_executor> owner = strand_owner;
    strand_owner.reset();
    eventually([&] { return owner.expired(); });
    work.reset();
    ioc.stop();
    io_thread.join();
  }

  /// Sends a request from the test's thread (as a worker would send a message: posted).
  void request(handler fn, fastactor::method m = method::get, unsigned version = 11) {
    caf::anon_send(writer, request_atom::value, test_key, channel_id{0},
                   make_request(std::move(fn), m, version));
  }

  static std::shared_ptr<routed_request> make_request(handler fn, fastactor::method m = method::get,
                                                      unsigned version = 11) {
    auto in = std::make_shared<routed_request>();
    in->req.method = m;
    in->req.target = in->req.path = "/test";
    in->req.version = version;
    in->req.keep_alive = version == 11;
    in->fn = std::make_shared<const handler>(std::move(fn));
    return in;
  }

  /// The writer as the session sees it: a local scheduled actor.
  caf::scheduled_actor& writer_actor() {
    return *static_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(writer));
  }

  /// The session's hand-over of an idle writer's request (strand_execution_unit::run_at_once),
  /// with the message its mailbox would hold. Only on the strand (on_strand).
  void run_request_at_once(handler fn, fastactor::method m = method::get, unsigned version = 11);

  /// Runs `fn` on the writer's strand, as the session's code runs, and waits for it.
  void on_strand(std::function<void()> fn) {
    std::promise<void> done;
    boost::asio::post(strand, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds t = 5s) {
    return testing::eventually(std::move(pred), t);
  }

  system_config cfg;
  caf::actor_system sys;
  boost::asio::io_context ioc;  // after the system: handlers still queued go first
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::thread io_thread;
  std::shared_ptr<runtime> rt;
  std::shared_ptr<recording_connection> conn;
  io_executor strand;  ///< the I/O thread: one runs `ioc`, as a session's does
  /// What the session is to the home: the owner of the strand (the fixture waits for the
  /// writer's end, so it outlives the writer's life).
  std::shared_ptr<const io_executor> strand_owner;
  std::shared_ptr<strand_execution_unit> home;
  caf::actor writer;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size()
    && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// A worker that stays until the request ends.
caf::behavior lingering_worker(caf::event_based_actor*, response_handle) {
  return {[](int) {}};
}

/// A blocking task that runs until the test lets it go.
std::function<void(task_context&)> gate(std::shared_future<void> open) {
  return [open](task_context&) { open.wait(); };
}

}  // namespace

SCENARIO("a response complete before its first byte goes out with Content-Length", "[writer]") {
  writer_fixture f;
  WHEN("a handler writes twice and returns") {
    f.request([](context& ctx) {
      ctx.write("hello ");
      ctx.write("world");
    });
    auto writes = f.conn->wait_writes(1);
    THEN("one write carries head and body, and the connection stays open") {
      REQUIRE(writes.size() == 1);
      CHECK(writes[0].kind == write_kind::last_keep_alive);
      CHECK(contains(writes[0].bytes, "HTTP/1.1 200 OK\r\n"));
      CHECK(contains(writes[0].bytes, "Content-Length: 11\r\n"));
      CHECK(contains(writes[0].bytes, "\r\nDate: "));
      CHECK(contains(writes[0].bytes, "\r\nServer: fastactor\r\n"));
      CHECK_FALSE(contains(writes[0].bytes, "chunked"));
      CHECK(ends_with(writes[0].bytes, "\r\n\r\nhello world"));
    }
  }
  WHEN("the request is HEAD") {
    f.request([](context& ctx) { ctx.write("12345"); }, method::head);
    auto writes = f.conn->wait_writes(1);
    THEN("the head announces the body's length but no body follows") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "Content-Length: 5\r\n"));
      CHECK(ends_with(writes[0].bytes, "\r\n\r\n"));
    }
  }
}

SCENARIO("output of running producers is streamed with chunked transfer coding", "[writer]") {
  writer_fixture f{false};
  std::promise<void> release;
  std::shared_future<void> opened = release.get_future().share();
  response_handle out;
  std::promise<response_handle> got_handle;
  f.request([&](context& ctx) {
    got_handle.set_value(ctx.output());
    ctx.go(gate(opened));
  });
  out = got_handle.get_future().get();

  WHEN("a producer writes while no write is in flight") {
    out.write("first");
    auto writes = f.conn->wait_writes(1);
    THEN("the head goes out with the chunk, chunked, with the error trailer announced") {
      REQUIRE(writes.size() == 1);
      CHECK(writes[0].kind == write_kind::more);
      CHECK(contains(writes[0].bytes, "Transfer-Encoding: chunked\r\n"));
      CHECK(contains(writes[0].bytes, "Trailer: Fastactor-Errors\r\n"));
      CHECK(ends_with(writes[0].bytes, "\r\n\r\n5\r\nfirst\r\n"));
    }
    AND_WHEN("three chunks arrive while that write is in flight") {
      out.write("a");
      out.write("bb");
      out.write("ccc");
      f.conn->complete_write();
      auto more = f.conn->wait_writes(2);
      THEN("they go out together in the next write, as one chunk") {
        REQUIRE(more.size() == 2);
        CHECK(more[1].bytes == "6\r\nabbccc\r\n");
      }
      AND_WHEN("the last producer finishes") {
        f.conn->complete_write();
        release.set_value();
        auto all = f.conn->wait_writes(3);
        THEN("the last chunk and an empty error trailer end the response") {
          REQUIRE(all.size() == 3);
          CHECK(all[2].bytes == "0\r\nFastactor-Errors: []\r\n\r\n");
          CHECK(all[2].kind == write_kind::last_keep_alive);
        }
      }
    }
  }
  if (f.conn->write_count() < 3) {  // let the gate go in the branches that did not
    try {
      release.set_value();
    } catch (const std::future_error&) {
    }
  }
}

SCENARIO("errors before the first byte become one error response", "[writer][errors]") {
  writer_fixture f;
  WHEN("a buffered response has output and two errors") {
    f.request([](context& ctx) {
      ctx.buffer_response();
      ctx.write("partial result");
      ctx.fail("upstream unavailable", status::bad_gateway);
      ctx.fail("second problem");
    });
    auto writes = f.conn->wait_writes(1);
    THEN("the status is the first error's and the JSON lists every error and the result") {
      REQUIRE(writes.size() == 1);
      auto& w = writes[0].bytes;
      CHECK(contains(w, "HTTP/1.1 502 Bad Gateway\r\n"));
      CHECK(contains(w, "Content-Type: application/json\r\n"));
      CHECK(contains(w, "upstream unavailable"));
      CHECK(contains(w, "second problem"));
      CHECK(contains(w, "\"results\":[\"partial result\"]"));
    }
  }
  WHEN("the handler fails and then starts a producer that streams") {
    f.request([](context& ctx) {
      ctx.fail("bad precondition", status::conflict);
      ctx.spawn([](caf::event_based_actor* self, response_handle out) {
        out.write(self, "produced anyway");
      });
    });
    auto writes = f.conn->wait_writes(1);
    THEN("nothing is streamed: one error report with the producer's output as a result") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "HTTP/1.1 409 Conflict\r\n"));
      CHECK_FALSE(contains(writes[0].bytes, "chunked"));
      CHECK(contains(writes[0].bytes, "\"results\":[\"produced anyway\"]"));
    }
  }
  WHEN("the handler throws") {
    f.request([](context&) { throw std::runtime_error("handler exploded"); });
    auto writes = f.conn->wait_writes(1);
    THEN("the exception is reported as a 500 entry of source 'handler'") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "HTTP/1.1 500 Internal Server Error\r\n"));
      CHECK(contains(writes[0].bytes, "\"message\":\"threw: handler exploded\""));
      CHECK(contains(writes[0].bytes, "\"source\":\"handler\""));
    }
  }
  WHEN("a worker throws before anything was sent") {
    f.request([](context& ctx) {
      ctx.buffer_response();
      ctx.spawn([](caf::event_based_actor*, response_handle) -> caf::behavior {
        throw std::logic_error("worker exploded");
      });
    });
    auto writes = f.conn->wait_writes(1);
    THEN("the exception's text reaches the error report") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "threw: worker exploded"));
    }
  }
}

SCENARIO("errors after streaming began go into the trailer", "[writer][errors]") {
  writer_fixture f;
  f.request([](context& ctx) {
    ctx.spawn([](caf::event_based_actor* self, response_handle out) {
      out.write(self, "some output");
      out.fail(self, "late failure", status::internal_server_error, "my worker");
    });
  });
  auto writes = f.conn->wait_writes(2);
  THEN("the body was sent and the trailer names the error") {
    REQUIRE(writes.size() == 2);
    CHECK(contains(writes[0].bytes, "some output"));
    CHECK(contains(writes[1].bytes, "Fastactor-Errors: [{"));
    CHECK(contains(writes[1].bytes, "late failure"));
    CHECK(contains(writes[1].bytes, "my worker"));
    CHECK(writes[1].kind == write_kind::last_keep_alive);
  }
}

SCENARIO("the request deadline ends the request and stops its workers", "[writer][deadline]") {
  response_limits limits;
  limits.request_timeout = 150ms;
  writer_fixture f{true, limits};
  GIVEN("a worker that never finishes and nothing sent yet") {
    f.request([](context& ctx) { ctx.spawn(lingering_worker); });
    auto writes = f.conn->wait_writes(1);
    THEN("the client gets a 503 error report naming the deadline") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "HTTP/1.1 503 Service Unavailable\r\n"));
      CHECK(contains(writes[0].bytes, "request deadline of 150 ms exceeded"));
    }
    THEN("the worker is stopped") {
      CHECK(f.eventually([&] { return f.rt->stats.live_workers == 0; }));
      CHECK(f.rt->stats.deadlines_total == 1);
    }
  }
  GIVEN("a worker that never finishes after streaming began") {
    f.request([](context& ctx) {
      ctx.spawn([](caf::event_based_actor* self, response_handle out) -> caf::behavior {
        out.write(self, "started");
        return {[](int) {}};
      });
    });
    THEN("the connection is cut without the last chunk") {
      REQUIRE(f.conn->wait_closed());
      std::string sent;  // every write, in order: a last chunk may be a write of its own
      for (auto& w : f.conn->wait_writes(1))
        sent += w.bytes;
      CHECK(contains(sent, "\r\n\r\n7\r\nstarted\r\n"));  // streaming had begun
      // A last chunk is the line "0" after the previous chunk's CRLF, then its trailer
      // (here it would name the deadline): neither may appear, the client must see a cut.
      CHECK_FALSE(contains(sent, "\r\n0\r\n"));
      CHECK_FALSE(contains(sent, "\r\nFastactor-Errors:"));  // (the head announces it)
      CHECK_FALSE(contains(sent, "request deadline"));
      CHECK(f.eventually([&] { return f.rt->stats.live_workers == 0; }));
    }
  }
}

SCENARIO("a late message of a finished request never reaches the next response",
         "[writer][isolation]") {
  writer_fixture f;
  std::promise<response_handle> first_handle;
  f.request([&](context& ctx) {
    first_handle.set_value(ctx.output());
    ctx.write("first");
  });
  f.conn->wait_writes(1);
  auto stale = first_handle.get_future().get();

  WHEN("a producer of the first request writes while the second is open") {
    std::promise<void> release;
    std::shared_future<void> opened = release.get_future().share();
    std::promise<response_handle> second_handle;
    f.request([&](context& ctx) {
      second_handle.set_value(ctx.output());
      ctx.buffer_response();
      ctx.go(gate(opened));
    });
    auto current = second_handle.get_future().get();
    stale.write("LEAKED");
    stale.fail("LEAKED ERROR");
    current.write("second");
    release.set_value();
    auto writes = f.conn->wait_writes(2);
    THEN("the second response holds only its own output, and the stale messages are counted") {
      REQUIRE(writes.size() == 2);
      CHECK(ends_with(writes[1].bytes, "\r\n\r\nsecond"));
      CHECK_FALSE(contains(writes[1].bytes, "LEAKED"));
      CHECK(f.rt->stats.stale_messages_total >= 2);
      CHECK(current.id() != stale.id());
    }
  }
}

SCENARIO("a client that leaves ends the request and its workers", "[writer][faults]") {
  writer_fixture f;
  f.request([](context& ctx) {
    for (int i = 0; i < 3; ++i)
      ctx.spawn(lingering_worker);
  });
  REQUIRE(f.eventually([&] { return f.rt->stats.live_workers == 3; }));
  WHEN("the connection reports the peer gone") {
    caf::anon_send(f.writer, closed_atom::value, test_key);
    THEN("every worker stops, the stream ends and the writer closes its connection") {
      CHECK(f.eventually([&] { return f.rt->stats.live_workers == 0; }));
      CHECK(f.eventually([&] { return f.rt->published_stats().active_streams == 0; }));
      CHECK(f.conn->wait_closed());
      CHECK(f.rt->stats.client_disconnects_total == 1);
    }
  }
}

SCENARIO("flow-controlled writes are acknowledged only below the high-water mark",
         "[writer][flow]") {
  response_limits limits;
  limits.stream_buffer = 1000;
  writer_fixture f{false, limits};
  std::promise<response_handle> got;
  std::promise<void> release;
  std::shared_future<void> opened = release.get_future().share();
  f.request([&](context& ctx) {
    got.set_value(ctx.output());
    ctx.go(gate(opened));
  });
  auto out = got.get_future().get();
  caf::scoped_actor self{f.sys};
  auto acked_within = [&](std::string bytes, std::chrono::milliseconds t) {
    bool acked = false;
    self->request(out.writer(), t, write_atom::value, out.id(), std::move(bytes))
      .receive([&](ack_atom) { acked = true; }, [&](caf::error&) { acked = false; });
    return acked;
  };
  WHEN("the first write goes out and the queue fills behind it") {
    CHECK(acked_within(std::string(600, 'a'), 2s));  // taken into the first write at once
    CHECK(acked_within(std::string(600, 'b'), 2s));  // queued: 600 < 1000
    THEN("a write that takes the queue past the mark waits for the socket") {
      CHECK_FALSE(acked_within(std::string(600, 'c'), 200ms));
      AND_WHEN("the write in flight completes") {
        f.conn->complete_write();
        THEN("the queue drains into the next write and new writes are acknowledged again") {
          CHECK(acked_within(std::string(10, 'd'), 2s));
        }
      }
    }
  }
  release.set_value();
}

namespace {

using ack_handle = caf::response_handle<caf::blocking_actor, caf::message, true>;

/// True if the writer acknowledged the write (false: it refused it).
bool acked(ack_handle& handle) {
  bool ok = false;
  handle.receive([&](ack_atom) { ok = true; }, [](caf::error&) {});
  return ok;
}

/// Holds the writer's strand (its I/O thread) until release(): what is sent to the writer
/// meanwhile waits in its mailbox, and is handled in one turn.
class strand_hold {
public:
  explicit strand_hold(writer_fixture& f) {
    std::promise<void> started;
    boost::asio::post(f.strand, [&started, done = done_] {
      started.set_value();
      done.wait();
    });
    started.get_future().wait();
  }
  ~strand_hold() { release(); }
  strand_hold(const strand_hold&) = delete;
  strand_hold& operator=(const strand_hold&) = delete;

  void release() {
    if (!std::exchange(released_, true))
      gate_.set_value();
  }

private:
  std::promise<void> gate_;
  std::shared_future<void> done_ = gate_.get_future().share();
  bool released_ = false;
};

/// A response kept open by a blocking task until end(), and a producer (a scoped actor) that
/// sends its writer flow-controlled writes. `setup` runs in the handler first.
struct open_response {
  explicit open_response(writer_fixture& f, std::function<void(context&)> setup = {})
    : producer(f.sys) {
    std::promise<response_handle> got;
    auto opened = task_gate;
    f.request([&got, &setup, opened](context& ctx) {
      if (setup)
        setup(ctx);
      got.set_value(ctx.output());
      ctx.go(gate(opened));
    });
    out = got.get_future().get();
  }
  ~open_response() { end(); }

  /// Writes a first chunk and waits for it to go out with the head: the response streams.
  void start_streaming(writer_fixture& f) {
    auto first = write("0");
    REQUIRE(acked(first));
    REQUIRE(f.conn->wait_writes(1).size() == 1);
  }

  ack_handle write(std::string bytes) {
    return producer->request(out.writer(), 5s, write_atom::value, out.id(), std::move(bytes));
  }
  ack_handle event(std::string data) {
    return producer->request(out.writer(), 5s, event_atom::value, out.id(),
                             sse_event{"", std::move(data), {}, -1});
  }
  /// The task ends: the response ends once the producers' output is out.
  void end() {
    if (!std::exchange(ended, true))
      task_done.set_value();
  }

  std::promise<void> task_done;
  std::shared_future<void> task_gate = task_done.get_future().share();
  bool ended = false;
  caf::scoped_actor producer;
  response_handle out;
};

/// The data of a chunked body's chunks (size lines dropped), up to the last chunk.
std::string dechunk(const std::string& wire) {
  std::string body;
  for (std::size_t pos = 0; pos < wire.size();) {
    auto eol = wire.find("\r\n", pos);
    if (eol == std::string::npos)
      break;
    auto size = std::stoul(wire.substr(pos, eol - pos), nullptr, 16);
    if (size == 0)
      break;
    body += wire.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return body;
}

}  // namespace

SCENARIO("a window of flow-controlled writes that arrives together goes out in one write",
         "[writer][flow]") {
  writer_fixture f;
  open_response r{f};
  r.start_streaming(f);
  GIVEN("a producer that sends eight writes while the writer's thread is busy") {
    strand_hold hold{f};
    std::vector<ack_handle> pending;
    for (char c = 'a'; c < 'a' + 8; ++c)
      pending.push_back(r.write(std::string(100, c)));
    WHEN("the writer handles them, all in one turn") {
      hold.release();
      int acks = 0;
      for (auto& handle : pending)
        acks += acked(handle) ? 1 : 0;
      THEN("every write is acknowledged, and the eight chunks went out as one") {
        CHECK(acks == 8);
        auto writes = f.conn->wait_writes(2);
        REQUIRE(writes.size() == 2);
        std::string body;
        for (char c = 'a'; c < 'a' + 8; ++c)
          body += std::string(100, c);
        CHECK(writes[1].bytes == "320\r\n" + body + "\r\n");  // 800 bytes: one size line
        CHECK(f.rt->stats.backpressure_waits_total == 0);  // nothing waited for the client
      }
    }
  }
}

SCENARIO("a window wider than stream-buffer-max, to a client that keeps up, goes through",
         "[writer][flow]") {
  response_limits limits;
  limits.stream_buffer = 16 * 1024;
  limits.stream_buffer_max = 64 * 1024;
  writer_fixture f{true, limits};
  open_response r{f};
  r.start_streaming(f);
  GIVEN("ten writes of 16 KiB (160 KiB) that arrive together") {
    strand_hold hold{f};
    std::vector<ack_handle> pending;
    for (int i = 0; i < 10; ++i)
      pending.push_back(r.write(std::string(16 * 1024, static_cast<char>('a' + i))));
    hold.release();
    int acks = 0;
    for (auto& handle : pending)
      acks += acked(handle) ? 1 : 0;
    THEN("a write that takes the queue to the high-water mark goes out at once: all acked") {
      CHECK(acks == 10);
      CHECK_FALSE(f.conn->wait_closed(300ms));
      // Each write reaches the mark (16 KiB) by itself: none waits for the flush.
      CHECK(f.conn->write_count() == 11);
    }
  }
}

SCENARIO("flow-controlled, plain and final writes of one batch keep their order",
         "[writer][flow]") {
  writer_fixture f;
  open_response r{f};
  r.start_streaming(f);
  WHEN("a batch brings an acked write, a plain one, two acked ones and the task's end") {
    strand_hold hold{f};
    auto a = r.write("a");
    r.out.write("b");  // no flow control: goes out at once, taking "a" along
    auto c = r.write("c");
    auto d = r.write("d");
    r.end();  // the task's done_atom follows, from the pool's thread
    std::this_thread::sleep_for(100ms);
    hold.release();
    THEN("the body is in the order sent, and the last write ends it") {
      CHECK(acked(a));  // with "b"'s write (c and d: the response ended before their flush)
      CHECK(f.eventually([&] { return f.rt->published_stats().active_streams == 0; }));
      auto writes = f.conn->wait_writes(10, 1s);
      REQUIRE(writes.size() >= 2);
      std::string wire;
      for (std::size_t i = 1; i < writes.size(); ++i)
        wire += writes[i].bytes;
      CHECK(dechunk(wire) == "abcd");
      CHECK(writes.back().kind == write_kind::last_keep_alive);
      CHECK(ends_with(writes.back().bytes, "\r\n\r\n"));  // the last chunk and its trailer
    }
  }
}

SCENARIO("a response reset between a deferred write and its flush drops the write",
         "[writer][flow]") {
  writer_fixture f;
  open_response r{f};
  r.start_streaming(f);
  WHEN("an acked write, the connection's reset and its next request arrive together") {
    strand_hold hold{f};
    auto a = r.write("a");  // deferred: its flush comes behind the reset and the request
    caf::anon_send(f.writer, reset_atom::value, test_key, channel_id{0});
    f.request([](context& ctx) { ctx.write("next"); });
    hold.release();
    THEN("the write is refused and never sent, and the next response is whole") {
      CHECK_FALSE(acked(a));
      auto writes = f.conn->wait_writes(2);
      REQUIRE(writes.size() == 2);
      CHECK_FALSE(contains(writes[1].bytes, "a\r\n"));
      CHECK(ends_with(writes[1].bytes, "\r\n\r\nnext"));
    }
  }
}

SCENARIO("acknowledged SSE events of one batch go out in one write", "[writer][flow][sse]") {
  writer_fixture f;
  open_response r{f, [](context& ctx) { ctx.begin_sse(); }};
  REQUIRE(f.conn->wait_writes(1).size() == 1);  // an event stream opens at once
  strand_hold hold{f};
  std::vector<ack_handle> pending;
  for (int i = 0; i < 5; ++i)
    pending.push_back(r.event("e" + std::to_string(i)));
  hold.release();
  int acks = 0;
  for (auto& handle : pending)
    acks += acked(handle) ? 1 : 0;
  CHECK(acks == 5);
  auto writes = f.conn->wait_writes(3, 300ms);
  REQUIRE(writes.size() == 2);
  for (int i = 0; i < 5; ++i)
    CHECK(contains(writes[1].bytes, "data: e" + std::to_string(i) + "\n"));
}

SCENARIO("the writer runs on its connection's I/O thread, its workers on the scheduler",
         "[writer]") {
  writer_fixture f;
  std::promise<std::thread::id> handler_thread, worker_thread;
  WHEN("a handler spawns a worker that writes") {
    f.request([&](context& ctx) {
      handler_thread.set_value(std::this_thread::get_id());
      ctx.spawn([&](caf::event_based_actor* self, response_handle out) {
        worker_thread.set_value(std::this_thread::get_id());
        out.write(self, "from the scheduler");
        self->quit();
      });
    });
    auto writes = f.conn->wait_writes(2);  // head + chunk, then the last chunk
    THEN("the handler ran on the I/O thread, which the writer never leaves") {
      CHECK(handler_thread.get_future().get() == f.io_thread.get_id());
    }
    THEN("the worker ran on a CAF scheduler thread, and its chunk reached the socket") {
      auto worker = worker_thread.get_future().get();
      CHECK(worker != f.io_thread.get_id());
      CHECK(worker != std::this_thread::get_id());
      REQUIRE(writes.size() == 2);
      CHECK(contains(writes[0].bytes, "\r\n\r\n12\r\nfrom the scheduler\r\n"));
      CHECK(writes[1].kind == write_kind::last_keep_alive);
    }
  }
}

namespace {

/// Told at the end of each of the writer's turns; holds the I/O thread there for a while when
/// asked to, and notes how far a producer had got by then.
class turn_probe : public strand_execution_unit::turn_listener {
public:
  void writer_turn_ended() override {
    if (!hold_)
      return;
    std::this_thread::sleep_for(150ms);  // time enough for a producer woken during the turn
    std::lock_guard<std::mutex> guard{mtx_};
    seen_.push_back(acks_handled.load());
  }
  void hold(bool on) { hold_ = on; }
  /// acks_handled at the end of each turn while held.
  std::vector<int> seen() {
    std::lock_guard<std::mutex> guard{mtx_};
    return seen_;
  }

  std::atomic<int> acks_handled{0};  ///< by the producer, so far

private:
  std::atomic<bool> hold_{false};
  std::mutex mtx_;
  std::vector<int> seen_;
};

}  // namespace

// A flow-controlled producer is woken by its first acknowledgement; the writer releases them
// together after a batch of writes. A producer scheduled at that first one may take the core
// from the I/O thread, make one write and sleep again: a thread switch per acknowledgement.
SCENARIO("a producer woken by the writer runs once the writer's turn is over", "[writer][flow]") {
  response_limits limits;
  limits.stream_buffer = 1000;
  turn_probe probe;
  std::mutex mtx;
  std::vector<std::size_t> waiting_at_ack;  // per ack: acks already waiting behind it
  std::promise<void> sent;
  std::shared_future<void> all_sent = sent.get_future().share();
  writer_fixture f{false, limits, &probe};
  GIVEN("four flow-controlled writes that reach the writer together, and wait for the first") {
    f.request([&](context& ctx) {
      // The I/O thread waits until the producer has sent all four: the writer takes them in
      // one turn, which starts the first write (held in flight) and queues the rest past the
      // high-water mark, so that no write is acknowledged yet.
      boost::asio::post(f.ioc, [all_sent] { all_sent.wait(); });
      ctx.spawn([&](caf::event_based_actor* self, response_handle out) {
        for (char c : std::string{"abcd"})
          out.write_acked(self, std::string(600, c)).then([&, self](ack_atom) {
            std::lock_guard<std::mutex> guard{mtx};
            waiting_at_ack.push_back(self->mailbox().size());
            if (++probe.acks_handled == 4)
              self->quit();
          });
        sent.set_value();
      });
    });
    REQUIRE(f.eventually([&] { return f.rt->stats.backpressure_waits_total >= 2; }));
    REQUIRE(f.conn->write_count() == 1);
    REQUIRE(probe.acks_handled == 0);
    WHEN("the write in flight completes, and the writer acknowledges all four in one turn") {
      probe.hold(true);
      f.conn->complete_write();
      REQUIRE(f.eventually([&] { return probe.acks_handled == 4; }));
      REQUIRE(f.eventually([&] { return !probe.seen().empty(); }));
      auto seen = probe.seen();
      probe.hold(false);
      THEN("the producer had not run when that turn ended, held there 150 ms") {
        CHECK(seen.front() == 0);
      }
      THEN("it woke once, to find all four acknowledgements waiting") {
        std::lock_guard<std::mutex> guard{mtx};
        REQUIRE(waiting_at_ack.size() == 4);
        CHECK(waiting_at_ack[0] == 3);
      }
    }
  }
}

SCENARIO("a worker spawned by a handler starts once the handler has returned", "[writer]") {
  std::promise<void> started;
  auto started_future = started.get_future();
  std::future_status while_handler_ran = std::future_status::deferred;
  writer_fixture f;
  WHEN("a handler spawns a worker and then takes 200 ms") {
    f.request([&](context& ctx) {
      ctx.spawn([&](caf::event_based_actor* self, response_handle out) {
        started.set_value();
        out.write(self, "started");
        self->quit();
      });
      while_handler_ran = started_future.wait_for(200ms);
    });
    auto writes = f.conn->wait_writes(2);
    THEN("the worker had not started while the handler ran, and ran after it") {
      CHECK(while_handler_ran == std::future_status::timeout);
      REQUIRE(writes.size() == 2);
      CHECK(contains(writes[0].bytes, "started"));
    }
  }
}

namespace {

/// Counts the writer's turns on its strand, as the session is told of them.
class turn_counter : public strand_execution_unit::turn_listener {
public:
  void writer_turn_ended() override { ++turns; }
  std::atomic<int> turns{0};
};

/// A request as the session hands it over: the message its mailbox would hold.
using request_message = caf::mailbox_element_vals<caf::atom_value, connection_key, channel_id,
                                                  std::shared_ptr<routed_request>>;

void writer_fixture::run_request_at_once(handler fn, fastactor::method m, unsigned version) {
  request_message msg{nullptr,
                      caf::make_message_id(),
                      {},
                      request_atom::value,
                      test_key,
                      channel_id{0},
                      make_request(std::move(fn), m, version)};
  home->run_at_once(writer_actor(), msg);
}

std::string all_bytes(const std::vector<recorded_write>& writes) {
  std::string joined;
  for (auto& w : writes)
    joined += w.bytes;
  return joined;
}

}  // namespace

// The session hands an idle writer its messages without the mailbox (run_at_once): CAF's
// one-shot activation, as caf::io's brokers take their I/O events.
SCENARIO("the connection's message to an idle writer is handled before the hand-over returns",
         "[writer]") {
  turn_counter counter;
  writer_fixture f{true, {}, &counter};
  GIVEN("an idle writer") {
    WHEN("the connection runs it at once for a request, from its strand") {
      bool could = false;
      bool inside_its_turn = true;
      std::size_t writes_then = 0;
      int turns_then = -1;
      f.on_strand([&] {
        could = f.home->may_run_at_once(f.writer_actor());
        f.run_request_at_once([&](context& ctx) {
          inside_its_turn = f.home->may_run_at_once(f.writer_actor());
          ctx.write("at once");
        });
        writes_then = f.conn->write_count();
        turns_then = counter.turns;
      });
      THEN("it could, and the response was written and the turn over when it returned") {
        CHECK(could);
        CHECK(writes_then == 1);
        CHECK(turns_then == 1);
        CHECK(contains(f.conn->wait_writes(1).front().bytes, "at once"));
      }
      THEN("while the writer runs, the next message cannot run it again: it waits its turn") {
        CHECK_FALSE(inside_its_turn);
      }
    }
  }
}

SCENARIO("a writer with a message waiting gets the connection's next one behind it", "[writer]") {
  writer_fixture f;
  GIVEN("a message sent to the writer from another thread while its strand is busy") {
    std::promise<void> sent;
    auto sent_future = sent.get_future().share();
    std::promise<bool> could;
    boost::asio::post(f.strand, [&, sent_future] {
      sent_future.wait();
      // The session's way: at once if it may, else through the mailbox.
      bool may = f.home->may_run_at_once(f.writer_actor());
      could.set_value(may);
      if (!may) {
        strand_execution_unit::connection_turn turn{*f.home};
        caf::anon_send(f.writer, request_atom::value, test_key, channel_id{0},
                       f.make_request([](context& ctx) { ctx.write("second"); }));
      }
    });
    f.request([](context& ctx) { ctx.write("first"); });
    sent.set_value();
    WHEN("the connection has its next message for it") {
      bool answer = could.get_future().get();
      auto writes = f.conn->wait_writes(2);
      THEN("it may not run the writer at once: its message is answered after the waiting one") {
        CHECK_FALSE(answer);
        REQUIRE(writes.size() == 2);
        CHECK(contains(writes[0].bytes, "first"));
        CHECK(contains(writes[1].bytes, "second"));
      }
    }
  }
}

SCENARIO("a message from another thread between the check and the run is handled after it",
         "[writer]") {
  turn_counter counter;
  writer_fixture f{true, {}, &counter};
  WHEN("another thread sends the writer a message after the connection found it idle") {
    bool could = false;
    bool still_could = true;
    std::string written_then;
    f.on_strand([&] {
      could = f.home->may_run_at_once(f.writer_actor());
      // Its enqueue unblocks the mailbox and posts the writer's resume behind this handler.
      std::thread other([&] {
        caf::anon_send(f.writer, request_atom::value, test_key, channel_id{0},
                       f.make_request([](context& ctx) { ctx.write("second"); }));
      });
      other.join();
      still_could = f.home->may_run_at_once(f.writer_actor());
      f.run_request_at_once([](context& ctx) { ctx.write("first"); });
      written_then = all_bytes(f.conn->wait_writes(0));
    });
    auto writes = f.conn->wait_writes(2);
    THEN("the connection's message is handled in the run, the other one in a turn after it") {
      CHECK(could);
      CHECK_FALSE(still_could);
      CHECK(contains(written_then, "first"));
      CHECK_FALSE(contains(written_then, "second"));
      REQUIRE(writes.size() == 2);
      CHECK(contains(writes[0].bytes, "first"));
      CHECK(contains(writes[1].bytes, "second"));
      CHECK(f.eventually([&] { return counter.turns == 2; }));
    }
  }
}

SCENARIO("a writer that quits in a run at once, with its own message pending, ends cleanly",
         "[writer]") {
  turn_counter counter;
  writer_fixture f{true, {}, &counter};
  WHEN("an HTTP/1.0 request run at once writes to its response as a worker would, and ends") {
    f.on_strand([&] {
      f.run_request_at_once(
        [&](context& ctx) {
          // makes the idle writer ready from its own run
          response_handle{f.writer, ctx.id()}.write("late");
          ctx.write("last");
        },
        method::get, 10);  // HTTP/1.0: the connection closes after it
    });
    THEN("the connection closes, the writer is gone, and it all took one turn") {
      CHECK(f.conn->wait_closed());
      CHECK(f.eventually([&] { return f.rt->stats.live_writers == 0; }));
      CHECK(counter.turns == 1);
      CHECK_FALSE(f.home->may_run_at_once(f.writer_actor()));  // closed, not blocked
    }
  }
}

SCENARIO("a message for the writer sent during a run at once is handled in the same turn",
         "[writer]") {
  turn_counter counter;
  writer_fixture f{true, {}, &counter};
  WHEN("the handler run at once keeps its response open and writes to it as a worker would") {
    std::string written_then;
    int turns_then = -1;
    f.on_strand([&] {
      f.run_request_at_once([&](context& ctx) {
        ctx.spawn(lingering_worker);  // the response stays open
        response_handle{f.writer, ctx.id()}.write("from the handler");
      });
      written_then = all_bytes(f.conn->wait_writes(0));
      turns_then = counter.turns;
    });
    THEN("the write was handled before the run returned, in one turn") {
      CHECK(contains(written_then, "from the handler"));
      CHECK(turns_then == 1);
    }
  }
}

// -- the connection's request taken in consume (writer_actor::consume_request) ----------------

SCENARIO("a request message its sender still holds is left as it was", "[writer][forged]") {
  writer_fixture f;
  WHEN("the key holder sends a caf::message it keeps (its content is shared)") {
    auto in = writer_fixture::make_request([](context& ctx) { ctx.write("shared"); });
    auto msg = caf::make_message(request_atom::value, test_key, channel_id{0}, in);
    caf::anon_send(f.writer, msg);
    auto writes = f.conn->wait_writes(1);
    REQUIRE(writes.size() == 1);
    THEN("the writer answered it, and the sender's message still holds its request") {
      CHECK(contains(writes[0].bytes, "shared"));
      // The writer moves the request out of the message (consume_request reads it with
      // get_mutable_as); a message whose content is shared is copied on write first.
      CHECK(msg.get_as<std::shared_ptr<routed_request>>(3) == in);
    }
  }
}

SCENARIO("messages that look like the connection's request but are not change nothing",
         "[writer][forged]") {
  writer_fixture f;
  auto forged_before = f.rt->stats.forged_messages_total.load();
  WHEN("a worker sends a request_atom as a request (not async) with a wrong key") {
    caf::scoped_actor self{f.sys};
    bool answered = false;
    self
      ->request(f.writer, caf::infinite, request_atom::value, connection_key{1}, channel_id{0},
                std::shared_ptr<routed_request>{})
      .receive([&] { answered = true; }, [&](caf::error&) { answered = true; });
    THEN("CAF's behavior takes it: counted as forged, answered, the writer serves on") {
      CHECK(answered);
      CHECK(f.rt->stats.forged_messages_total - forged_before == 1);
      f.request([](context& ctx) { ctx.write("after"); });
      auto writes = f.conn->wait_writes(1);
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "after"));
    }
  }
  WHEN("messages of four elements that are not the connection's request arrive") {
    // first element not an atom, but the rest typed as a request
    caf::anon_send(f.writer, std::uint64_t{0x6672657175657374}, test_key, channel_id{0},
                   writer_fixture::make_request([](context& ctx) { ctx.write("no"); }));
    // another atom
    caf::anon_send(f.writer, write_done_atom::value, test_key, channel_id{0},
                   writer_fixture::make_request([](context& ctx) { ctx.write("no"); }));
    // request_atom, with five and with three elements
    caf::anon_send(f.writer, request_atom::value, test_key, channel_id{0},
                   writer_fixture::make_request([](context& ctx) { ctx.write("no"); }), 1);
    caf::anon_send(f.writer, request_atom::value, test_key, channel_id{0});
    // request_atom with the key as a signed integer
    caf::anon_send(f.writer, request_atom::value, static_cast<std::int64_t>(test_key),
                   channel_id{0},
                   writer_fixture::make_request([](context& ctx) { ctx.write("no"); }));
    // a wrong key, sent urgently (an async message id of 0)
    caf::anon_send<caf::message_priority::high>(
      f.writer, request_atom::value, connection_key{2}, channel_id{0},
      writer_fixture::make_request([](context& ctx) { ctx.write("no"); }));
    f.request([](context& ctx) { ctx.write("after"); });
    auto writes = f.conn->wait_writes(1);
    THEN("none is answered, only the real request is; the urgent forgery is counted") {
      REQUIRE(writes.size() == 1);
      CHECK(contains(writes[0].bytes, "after"));
      CHECK(f.eventually([&] { return f.rt->stats.forged_messages_total - forged_before == 1; }));
      std::this_thread::sleep_for(50ms);
      CHECK(f.conn->write_count() == 1);
    }
  }
}

SCENARIO("a handler that awaits a reply through ctx.self() holds the next request back",
         "[writer]") {
  static std::mutex m;
  static std::vector<std::string> order;
  order.clear();
  auto note = [](std::string what) {
    std::lock_guard<std::mutex> g{m};
    order.push_back(std::move(what));
  };
  writer_fixture f;
  // Replies `delay` after it is asked. (An argument: CAF 0.17 spawning a function actor
  // without one trips UBSan in its own headers, docs/robustness.md.)
  auto replier = f.sys.spawn(
    [](caf::event_based_actor* self, std::chrono::milliseconds delay) -> caf::behavior {
      return {[=](int x) {
        auto rp = self->make_response_promise<int>();
        self->delayed_send(self, delay, caf::atom("go"), x);
        self->become(caf::keep_behavior, [=](caf::atom_value, int y) mutable {
          rp.deliver(y);
          self->unbecome();
        });
        return rp;
      }};
    },
    200ms);
  WHEN("the first request's handler awaits the reply, and the second request comes at once") {
    f.request([note, replier](context& ctx) {
      ctx.write("first");
      ctx.self()->request(replier, caf::infinite, 1).await([note](int) { note("await"); });
      note("handler 1");
    });
    f.request([note](context& ctx) {
      note("handler 2");
      ctx.write("second");
    });
    f.conn->wait_writes(2, 2s);
    CHECK(f.eventually(
      [&] {
        std::lock_guard<std::mutex> g{m};
        return order.size() >= 3;
      },
      2s));
    THEN("the await's callback runs before the second request's handler (CAF's await skips "
         "every other message until the reply)") {
      std::lock_guard<std::mutex> g{m};
      REQUIRE(order.size() == 3);
      CHECK(order[0] == "handler 1");
      CHECK(order[1] == "await");
      CHECK(order[2] == "handler 2");
    }
  }
  caf::anon_send_exit(replier, caf::exit_reason::user_shutdown);
}
