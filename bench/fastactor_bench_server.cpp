// fastactor_bench_server: the demo server's routes (demo::routes(): /hello, /stream,
// /parallel/execute, ...) plus the routes only the benchmarks need:
//
//   GET /fanout/serial                   one blocking task (ctx.go) runs 8 sub-tasks of 10 ms
//                                        one after another, writing each result
//   GET /fanout/concurrent_write         8 blocking tasks (ctx.go), each sleeps 10 ms, then
//                                        concurrent_write
//   GET /fanout/with_concurrent_response with_concurrent_response with 8 cr.go tasks
//   GET /fanout/parallel_execute         parallel_execute with 8 tasks
//   GET /latency?n=N&interval_ms=I       a worker actor writes N chunks, one every I ms, each
//                                        the steady_clock time (ns) at which it was written
//   GET /sse?n=N&interval_ms=I&size=S    a lean SSE stream (bench/scale.sh): N events of S
//                                        bytes of data, the first with the head, then ONE
//                                        worker actor writes one every I ms (a timer message,
//                                        no flow control, no JSON)
//   GET /sse?...&pacer=shared            the same events, written by one pacer actor that
//                                        feeds every such stream (context::subscribe), not a
//                                        worker per stream
//   GET /ndjson?bytes=B&write=W          NDJSON (application/x-ndjson) for the compression
//                                        benchmarks (bench/compress.sh): varied log-like JSON
//                                        lines of ~100-200 bytes (the generator of
//                                        bench/compression_levels.cpp), gathered into writes of
//                                        at least W bytes (16384) that end on a line, until at
//                                        least B bytes (the first line end at or after B);
//                                        one worker actor, write_acked with at most 256 KiB
//                                        unacknowledged. The lines cycle through an 8 MiB pool
//                                        made once, on the first request (larger than any
//                                        compressor's window here, so the repeat gains nothing)
//
// Same options as the demo server (build/bin/fastactor_bench_server --help). The first line on
// stdout is `listening on http://HOST:PORT`; SIGINT/SIGTERM stop it.

#include "demo_routes.hpp"
#include "event_log.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace std::chrono_literals;
using fastactor::context;
using fastactor::response_handle;
using fastactor::task_context;

namespace {

using stamp_atom = caf::atom_constant<caf::atom("bn_stamp")>;

// -- the seed comparison: one workload, four ways --------------------------------------------

constexpr int fanout_parts = 8;
constexpr auto fanout_part_time = 10ms;

/// One sub-task: 10 ms of blocking work (a sleep standing in for a call to a slow service).
std::string sub_task(int i) {
  std::this_thread::sleep_for(fanout_part_time);
  return "sub-task " + std::to_string(i) + " done\n";
}

void fanout_serial(context& ctx) {
  ctx.go([](task_context& t) {
    for (int i = 0; i < fanout_parts; ++i)
      t.write(sub_task(i));
  });
}

void fanout_concurrent_write(context& ctx) {
  for (int i = 0; i < fanout_parts; ++i)
    ctx.go([i](task_context& t) { fastactor::concurrent_write(t.output(), sub_task(i)); });
}

void fanout_with_concurrent_response(context& ctx) {
  fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
    for (int i = 0; i < fanout_parts; ++i)
      cr.go([i](task_context& t) { t.write(sub_task(i)); });
  });
}

void fanout_parallel_execute(context& ctx) {
  std::vector<fastactor::task> tasks;
  for (int i = 0; i < fanout_parts; ++i)
    tasks.emplace_back([i] { return fastactor::task_result{sub_task(i)}; });
  fastactor::parallel_execute(ctx, std::move(tasks));
}

// -- chunk latency ------------------------------------------------------------------------------

std::string stamp() {
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count())
    + "\n";
}

/// Writes `n` chunks, one every `interval` (a timer message, no thread waits), each holding
/// the time it was handed to the writer.
caf::behavior latency_worker(caf::event_based_actor* self, response_handle out, std::int64_t n,
                             std::chrono::milliseconds interval) {
  if (n == 0) {
    self->quit();
    return {};
  }
  self->send(self, stamp_atom::value, std::int64_t{1});
  return {
    [=](stamp_atom, std::int64_t i) {
      fastactor::concurrent_write(self, out, stamp());
      if (i == n)
        return self->quit();
      self->delayed_send(self, interval, stamp_atom::value, i + 1);
    },
  };
}

void latency(context& ctx) {
  auto n = ctx.int_param("n", 200, 0, 10'000'000);
  auto interval = ctx.int_param("interval_ms", 5, 0, 60'000);
  if (!n || !interval)
    return;
  ctx.set_content_type("application/octet-stream");
  ctx.spawn(latency_worker, static_cast<std::int64_t>(*n), std::chrono::milliseconds(*interval));
}

// -- many slow SSE streams (bench/scale.sh) -------------------------------------------------------

using sse_tick_atom = caf::atom_constant<caf::atom("bn_ssetk")>;

/// Event `i`'s data: `size` bytes of 'a' + i % 26 (the Beast baseline's /stream chunk bytes).
std::string sse_data(std::int64_t i, std::size_t size) {
  return std::string(size, static_cast<char>('a' + i % 26));
}

/// Writes events 2..n, one every `interval` (event 1 went out with the head). One timer
/// message per event; the writer numbers the events.
caf::behavior sse_ticker(caf::event_based_actor* self, response_handle out, std::int64_t n,
                         std::chrono::milliseconds interval, std::size_t size) {
  self->delayed_send(self, interval, sse_tick_atom::value, std::int64_t{2});
  return {
    [=](sse_tick_atom, std::int64_t i) {
      out.send_event(self, fastactor::sse_event{{}, sse_data(i - 1, size), {}, -1});
      if (i == n)
        return self->quit();
      self->delayed_send(self, interval, sse_tick_atom::value, i + 1);
    },
  };
}

// -- one pacer for many slow SSE streams --------------------------------------------------------

using pace_join_atom = caf::atom_constant<caf::atom("bn_pjoin")>;
using pace_tick_atom = caf::atom_constant<caf::atom("bn_ptick")>;

/// A stream the pacer feeds.
struct paced_stream {
  response_handle out;
  std::int64_t next = 2;  ///< the number of its next event (event 1 went out with the head)
  std::int64_t n = 0;  ///< its last
  std::chrono::milliseconds interval{0};
  std::size_t size = 0;
};

/// The pacer's streams by when each is due, and where each is (so that one whose response
/// ended is dropped at once: a pacer that keeps dead streams grows with every client).
struct pacer_state {
  using clock = std::chrono::steady_clock;
  std::multimap<clock::time_point, paced_stream> due;
  std::unordered_map<fastactor::stream_id, decltype(due)::iterator> by_id;
  clock::time_point tick_at = clock::time_point::max();  ///< of the one tick on its way
  static inline const char* name = "bench.pacer";
};

/// Sends the next tick for the earliest stream, unless one on its way comes first. The tick
/// carries its time: a tick overtaken by an earlier one is stale when it arrives.
void arm_pacer(caf::stateful_actor<pacer_state>* self) {
  auto& st = self->state;
  if (st.due.empty() || st.due.begin()->first >= st.tick_at)
    return;
  st.tick_at = st.due.begin()->first;
  auto wait = std::max(st.tick_at - pacer_state::clock::now(), pacer_state::clock::duration{0});
  self->delayed_send(self, wait, pace_tick_atom::value,
                     static_cast<std::int64_t>(st.tick_at.time_since_epoch().count()));
}

/// Writes every due stream's event, ends the streams that had their last, re-files the rest.
void pace_due(caf::stateful_actor<pacer_state>* self) {
  auto& st = self->state;
  auto now = pacer_state::clock::now();
  while (!st.due.empty() && st.due.begin()->first <= now) {
    auto node = st.due.extract(st.due.begin());
    auto& s = node.mapped();
    s.out.send_event(self, fastactor::sse_event{{}, sse_data(s.next - 1, s.size), {}, -1});
    if (s.next++ == s.n) {
      s.out.finish(self);
      st.by_id.erase(s.out.id());
      continue;
    }
    // On the stream's grid, but never in the past: after a stall it resumes, it does not
    // send the events it missed in one burst (no flow control here).
    node.key() = std::max(node.key() + s.interval, now);
    auto id = s.out.id();
    st.by_id[id] = st.due.insert(std::move(node));
  }
}

/// One actor that writes the events of every `/sse?pacer=shared` stream: a stream costs an
/// entry here and a subscription in its writer (context::subscribe), not an actor.
caf::behavior pacer(caf::stateful_actor<pacer_state>* self) {
  return {
    [=](pace_join_atom, response_handle& out, std::int64_t n, std::int64_t interval_ms,
        std::int64_t size) {
      auto& st = self->state;
      auto interval = std::chrono::milliseconds(interval_ms);
      auto id = out.id();
      auto at = st.due.emplace(
        pacer_state::clock::now() + interval,
        paced_stream{std::move(out), 2, n, interval, static_cast<std::size_t>(size)});
      st.by_id[id] = at;
      arm_pacer(self);
    },
    [=](fastactor::ended_atom, const response_handle& out) {
      auto& st = self->state;
      auto i = st.by_id.find(out.id());
      if (i == st.by_id.end() || i->second->second.out != out)
        return;
      st.due.erase(i->second);
      st.by_id.erase(i);
    },
    [=](pace_tick_atom, std::int64_t at) {
      auto& st = self->state;
      if (at != st.tick_at.time_since_epoch().count())
        return;  // overtaken: the tick on its way now is another
      st.tick_at = pacer_state::clock::time_point::max();
      pace_due(self);
      arm_pacer(self);
    },
  };
}

void sse(context& ctx, const caf::actor& shared_pacer) {
  auto n = ctx.int_param("n", 10, 1, 10'000'000);
  auto interval = ctx.int_param("interval_ms", 10'000, 1, 3'600'000);
  auto size = ctx.int_param("size", 16, 1, 1 << 16);
  if (!n || !interval || !size)
    return;
  auto shared = ctx.req().query_param("pacer") == "shared";
  ctx.begin_sse();
  ctx.write_event(fastactor::sse_event{{}, sse_data(0, static_cast<std::size_t>(*size)), {}, -1});
  if (*n == 1)
    return;
  if (shared) {
    // From the writer: its `ended_atom`, if the client leaves, comes after this.
    ctx.self()->send(shared_pacer, pace_join_atom::value, ctx.subscribe(shared_pacer),
                     static_cast<std::int64_t>(*n), static_cast<std::int64_t>(*interval),
                     static_cast<std::int64_t>(*size));
    return;
  }
  ctx.spawn(sse_ticker, static_cast<std::int64_t>(*n), std::chrono::milliseconds(*interval),
            static_cast<std::size_t>(*size));
}

// -- NDJSON for the compression benchmarks (bench/compress.sh) -------------------------------

using ndjson_more_atom = caf::atom_constant<caf::atom("bn_ndmore")>;

/// The pool the /ndjson streams cycle through: 8 MiB of lines, and where each line ends.
struct ndjson_pool {
  std::string text;
  std::vector<std::size_t> line_ends;  ///< offsets one past each '\n', ascending
};

const ndjson_pool& the_ndjson_pool() {
  static const ndjson_pool pool = [] {
    constexpr std::size_t pool_bytes = 8 << 20;
    ndjson_pool p;
    p.text.reserve(pool_bytes + 512);
    std::mt19937 rng(42);
    for (long n = 0; p.text.size() < pool_bytes; ++n) {
      p.text += bench::event_log::ndjson_line(n, rng);
      p.line_ends.push_back(p.text.size());
    }
    return p;
  }();
  return pool;
}

struct ndjson_state {
  std::int64_t window = 0;  ///< writes in flight at most
  std::int64_t in_flight = 0;  ///< writes not acknowledged yet
  std::size_t pos = 0;  ///< where the next write starts in the pool
  std::size_t sent = 0;  ///< bytes written so far
  bool done = false;  ///< the last write went out
  static inline const char* name = "bench.ndjson";
};

/// Streams whole lines from the pool in writes of at least `write_size` bytes until at least
/// `total` bytes went out, with flow control: at most `window` writes unacknowledged.
caf::behavior ndjson_worker(caf::stateful_actor<ndjson_state>* self, response_handle out,
                            std::size_t total, std::size_t write_size) {
  const ndjson_pool* pool = &the_ndjson_pool();
  self->state.window =
    std::clamp<std::int64_t>(static_cast<std::int64_t>((256 << 10) / write_size), 1, 16);
  auto fill = [self, out, total, write_size, pool] {
    auto& s = self->state;
    const auto& ends = pool->line_ends;
    while (!s.done && s.in_flight < s.window) {
      // The write ends at the first line end at least write_size bytes on (or the pool's end).
      auto it = std::lower_bound(ends.begin(), ends.end(), s.pos + write_size);
      std::size_t end = it == ends.end() ? pool->text.size() : *it;
      // The stream ends at the first line end at or after `total`.
      if (s.sent + (end - s.pos) >= total) {
        auto last = std::lower_bound(ends.begin(), ends.end(), s.pos + (total - s.sent));
        end = last == ends.end() ? pool->text.size() : *last;
        s.done = true;
      }
      s.sent += end - s.pos;
      ++s.in_flight;
      out.write_acked(self, pool->text.substr(s.pos, end - s.pos))
        .then([self](fastactor::ack_atom) {
          --self->state.in_flight;
          if (self->state.done && self->state.in_flight == 0)
            return self->quit();
          self->send(self, ndjson_more_atom::value);
        });
      s.pos = end == pool->text.size() ? 0 : end;
    }
  };
  if (total == 0) {
    self->quit();
    return {};
  }
  fill();
  return {
    [fill](ndjson_more_atom) { fill(); },
  };
}

void ndjson(context& ctx) {
  auto bytes = ctx.int_param("bytes", 1 << 20, 0, 64ll << 30);
  auto write = ctx.int_param("write", 16 << 10, 256, 1 << 20);
  if (!bytes || !write)
    return;
  ctx.begin_ndjson();
  ctx.spawn(ndjson_worker, static_cast<std::size_t>(*bytes), static_cast<std::size_t>(*write));
}

fastactor::router bench_routes(const caf::actor& shared_pacer) {
  auto r = demo::routes();
  r.get("/fanout/serial", fanout_serial);
  r.get("/fanout/concurrent_write", fanout_concurrent_write);
  r.get("/fanout/with_concurrent_response", fanout_with_concurrent_response);
  r.get("/fanout/parallel_execute", fanout_parallel_execute);
  r.get("/latency", latency);
  r.get("/sse", [shared_pacer](context& ctx) { sse(ctx, shared_pacer); });
  r.get("/ndjson", ndjson);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  fastactor::block_termination_signals();  // before any thread starts
  fastactor::system_config cfg;
  if (auto code = fastactor::parse_or_exit(cfg, argc, argv, "fastactor_bench_server"))
    return *code;
  caf::actor_system sys{cfg};
  auto shared_pacer = sys.spawn(pacer);
  int code = 0;
  {
    fastactor::server srv{sys, cfg.server, bench_routes(shared_pacer)};
    code = fastactor::serve_until_signal(srv, "fastactor_bench_server");
  }
  caf::anon_send_exit(shared_pacer, caf::exit_reason::user_shutdown);  // or sys waits for it
  return code;
}
