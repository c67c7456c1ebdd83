#include "demo_routes.hpp"

#include "demo_page.hpp"
#include <fastactor/concurrent.hpp>
#include <fastactor/context.hpp>
#include <fastactor/metrics.hpp>
#include <fastactor/ndjson.hpp>
#include <fastactor/node_pool.hpp>
#include <fastactor/remote.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;
using fastactor::context;
using fastactor::response_handle;

namespace demo {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;

// -- worker actors ----------------------------------------------------------------------------

/// Writes one line and is done (it terminates when its body returns).
void line_worker(caf::event_based_actor* self, response_handle out, std::string line) {
  fastactor::concurrent_write(self, out, std::move(line));
}

/// Writes `line` at `due` — a timer message, not a sleep: no thread waits. A time, not a
/// delay: a worker starts once the handler has returned, maybe late on a busy machine, and the
/// lines must still come in the order of their times.
caf::behavior delayed_line_worker(caf::event_based_actor* self, response_handle out,
                                  std::chrono::steady_clock::time_point due, std::string line) {
  auto now = std::chrono::steady_clock::now();
  self->delayed_send(self, due > now ? due - now : std::chrono::steady_clock::duration{0},
                     tick_atom::value);
  return {
    [=](tick_atom) {
      fastactor::concurrent_write(self, out, line);
      self->quit();
    },
  };
}

/// Writes `count` lines, one every `interval`, starting after `offset`.
caf::behavior ticker_worker(caf::event_based_actor* self, response_handle out, int id, int count,
                            std::chrono::milliseconds interval, std::chrono::milliseconds offset) {
  self->delayed_send(self, offset, tick_atom::value, 1);
  return {
    [=](tick_atom, int n) {
      fastactor::concurrent_write(self, out,
                                  "[worker " + std::to_string(id) + "] event " + std::to_string(n)
                                    + "/" + std::to_string(count) + "\n");
      if (n == count)
        return self->quit();
      self->delayed_send(self, interval, tick_atom::value, n + 1);
    },
  };
}

struct chunk_stream_spec {
  std::int64_t chunks;
  std::size_t size;
  std::chrono::milliseconds interval;
};

struct chunk_stream_state {
  std::int64_t sent = 0;
  std::int64_t acked = 0;
  static inline const char* name = "demo.chunk_stream";
};

/// Chunk i is `size` bytes of the letter 'a' + i % 26, so a client can check every byte.
std::string make_chunk(std::int64_t i, std::size_t size) {
  return std::string(size, static_cast<char>('a' + i % 26));
}

/// How many writes a producer keeps unacknowledged: enough for throughput, and no more than
/// about 256 KiB of them (one at least), so that a client that stops reading holds a
/// bounded amount of the server's memory whatever the chunk size.
std::int64_t write_window(std::size_t chunk_size) {
  constexpr std::size_t window_bytes = 256 * 1024;
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(window_bytes / chunk_size), 1, 16);
}

/// Writes chunk `state.sent` with flow control; its acknowledgement writes the next one (an
/// unpaced stream), so that no message but the ack is needed per chunk.
void send_chunk(caf::stateful_actor<chunk_stream_state>* self, response_handle out,
                chunk_stream_spec spec) {
  out.write_acked(self, make_chunk(self->state.sent++, spec.size))
    .then([self, out, spec](fastactor::ack_atom) {
      if (++self->state.acked == spec.chunks)
        return self->quit();
      if (spec.interval.count() == 0 && self->state.sent < spec.chunks)
        send_chunk(self, out, spec);
    });
}

/// Streams `chunks` chunks with flow control: at most `window` writes unacknowledged, so a
/// slow client slows this worker down instead of filling the server's memory.
caf::behavior chunk_stream_worker(caf::stateful_actor<chunk_stream_state>* self,
                                  response_handle out, chunk_stream_spec spec) {
  if (spec.chunks == 0) {
    self->quit();
    return {};
  }
  if (spec.interval.count() == 0) {
    const std::int64_t window = write_window(spec.size);
    for (std::int64_t i = 0; i < std::min(window, spec.chunks); ++i)
      send_chunk(self, out, spec);
    return {};
  }
  send_chunk(self, out, spec);
  self->delayed_send(self, spec.interval, tick_atom::value);
  return {
    [=](tick_atom) {
      if (self->state.sent < spec.chunks)
        send_chunk(self, out, spec);
      if (self->state.sent < spec.chunks)
        self->delayed_send(self, spec.interval, tick_atom::value);
    },
  };
}

/// Emits `count` SSE events named "tick", one every `interval` after `offset`, each saying
/// which worker sent it. The writer numbers them: ids increase across all workers.
caf::behavior sse_worker(caf::event_based_actor* self, response_handle out, int id, int count,
                         std::chrono::milliseconds interval, std::chrono::milliseconds offset) {
  if (count == 0) {
    self->quit();
    return {};
  }
  self->delayed_send(self, offset, tick_atom::value, 1);
  return {
    [=](tick_atom, int n) {
      nlohmann::json data{{"worker", id}, {"seq", n}, {"of", count}};
      out.send_event_acked(self, fastactor::sse_event{"tick", data.dump(), {}, -1})
        .then([=](fastactor::ack_atom) {
          if (n == count)
            return self->quit();
          self->delayed_send(self, interval, tick_atom::value, n + 1);
        });
    },
  };
}

/// One share of a batch job: processes `total` items, 20 ms each (a timer, not a sleep),
/// and reports progress after each as an NDJSON object.
caf::behavior batch_worker(caf::event_based_actor* self, response_handle out, int worker,
                           int total) {
  if (total == 0) {
    out.write(self, fastactor::ndjson_line({{"worker", worker}, {"done", 0}, {"total", 0}}));
    self->quit();
    return {};
  }
  self->delayed_send(self, 20ms, tick_atom::value, 1);
  return {
    [=](tick_atom, int done) {
      auto line = fastactor::ndjson_line({{"worker", worker}, {"done", done}, {"total", total}});
      out.write_acked(self, std::move(line)).then([=](fastactor::ack_atom) {
        if (done == total)
          return self->quit();
        self->delayed_send(self, 20ms, tick_atom::value, done + 1);
      });
    },
  };
}

struct batch_state {
  int running = 0;
  static inline const char* name = "demo.batch_job";
};

/// Splits `items` over `workers` batch workers (its own children: they die with it), and
/// writes a summary line once all of them are done.
caf::behavior batch_job(caf::stateful_actor<batch_state>* self, response_handle out, int items,
                        int workers) {
  auto started = std::chrono::steady_clock::now();
  for (int w = 1; w <= workers; ++w) {
    int share = items / workers + (w <= items % workers ? 1 : 0);
    self->spawn<caf::monitored + caf::linked>(batch_worker, out, w, share);
  }
  self->state.running = workers;
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.reason)
      out.fail(self, "batch worker failed: " + caf::to_string(msg.reason));
    if (--self->state.running > 0)
      return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                    - started)
                .count();
    out.write(self,
              fastactor::ndjson_line(
                {{"summary", {{"items", items}, {"workers", workers}, {"elapsed_ms", ms}}}}));
    self->quit();
  });
  return {[](int) {}};
}

// -- handlers ---------------------------------------------------------------------------------

// The live demo page: every endpoint, rendered as it streams. No external assets.
void index(context& ctx) {
  ctx.set_content_type("text/html; charset=utf-8");
  ctx.write(std::string{page_html()});
}

void hello(context& ctx) {
  ctx.write("ok");
}

// GET /stream?n=N&size=S[&interval_ms=I]: N chunks of S bytes from a worker actor.
void stream(context& ctx) {
  constexpr long long max_total = 4ll << 30;  // 4 GiB
  auto n = ctx.int_param("n", 10, 0, 10'000'000);
  auto size = ctx.int_param("size", 1024, 1, 1 << 20);
  auto interval = ctx.int_param("interval_ms", 0, 0, 60'000);
  if (!n || !size || !interval)
    return;
  if (*n * *size > max_total)
    return ctx.fail(fastactor::worker_error{"request",
                                            "n*size must be at most " + std::to_string(max_total)
                                              + " bytes, got " + std::to_string(*n * *size),
                                            fastactor::status::bad_request});
  ctx.set_content_type("application/octet-stream");
  if (*interval > 0)
    ctx.spawn(
      chunk_stream_worker,
      chunk_stream_spec{*n, static_cast<std::size_t>(*size), std::chrono::milliseconds(*interval)});
  else
    ctx.spawn(chunk_stream_worker, chunk_stream_spec{*n, static_cast<std::size_t>(*size), 0ms});
}

// FastGo: ConcurrentWrite from five goroutines.
void concurrent_basic(context& ctx) {
  for (int i = 0; i < 5; ++i)
    ctx.spawn(line_worker, "Worker " + std::to_string(i) + " response\n");
}

// FastGo: WithConcurrentResponse with a 50 ms "database" and an 80 ms "API" task.
void concurrent_advanced(context& ctx) {
  fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
    auto now = std::chrono::steady_clock::now();
    cr.spawn(delayed_line_worker, now + 50ms, std::string{"Database result loaded\n"});
    cr.spawn(delayed_line_worker, now + 80ms, std::string{"API service responded\n"});
  });
}

// FastGo: ParallelExecute with blocking tasks of 100 and 150 ms, run in the blocking pool.
void parallel(context& ctx) {
  fastactor::parallel_execute(ctx,
                              {
                                [] {
                                  std::this_thread::sleep_for(100ms);
                                  return fastactor::task_result{"Task 1 completed\n"};
                                },
                                [] {
                                  std::this_thread::sleep_for(150ms);
                                  return fastactor::task_result{"Task 2 completed\n"};
                                },
                              });
}

// Error collection: five tasks, two return errors, one throws. Every failure is reported,
// with the results that did succeed, in one 500 report.
void concurrent_error(context& ctx) {
  ctx.buffer_response();
  fastactor::parallel_execute(
    ctx,
    {
      [] { return fastactor::task_result{"Task 1 completed\n"}; },
      [] { return fastactor::task_result::failure("database connection refused"); },
      []() -> fastactor::task_result { throw std::runtime_error("payment service crashed"); },
      [] {
        return fastactor::task_result::failure("cache lookup timed out",
                                               fastactor::status::gateway_timeout);
      },
      [] { return fastactor::task_result{"Task 5 completed\n"}; },
    },
    {fastactor::result_order::task});
}

// Streaming: three workers, five events each, 200 ms apart, each flushed as produced.
void stream_concurrent(context& ctx) {
  for (int id = 1; id <= 3; ++id)
    ctx.spawn(ticker_worker, id, 5, 200ms, std::chrono::milliseconds(id * 60));
}

// SSE: three workers emit `count` events between them; a reconnecting browser resumes after
// its Last-Event-ID.
void stream_sse(context& ctx) {
  auto count = ctx.int_param("count", 30, 0, 100'000);
  auto interval = ctx.int_param("interval_ms", 150, 1, 60'000);
  if (!count || !interval)
    return;
  ctx.begin_sse();
  ctx.write_event(fastactor::sse_event{{}, {}, {}, 1000});  // reconnect after 1 s
  constexpr int workers = 3;
  for (int w = 1; w <= workers; ++w) {
    int share = static_cast<int>(*count / workers + (w <= *count % workers ? 1 : 0));
    ctx.spawn(sse_worker, w, share, std::chrono::milliseconds(*interval),
              std::chrono::milliseconds(w * *interval / workers));
  }
}

// NDJSON: a batch job split over parallel workers streams progress and a summary.
void stream_ndjson(context& ctx) {
  auto items = ctx.int_param("items", 40, 0, 10'000);
  auto workers = ctx.int_param("workers", 4, 1, 16);
  if (!items || !workers)
    return;
  ctx.begin_ndjson();
  ctx.spawn(batch_job, static_cast<int>(*items), static_cast<int>(*workers));
}

// GET /distributed/stream?n=N&size=S[&window=W]: the chunks come from a worker spawned on a
// worker node (round robin over the nodes that are up), sent across the network straight to
// this request's writer, with flow control (W writes in flight).
void distributed_stream(fastactor::node_pool* nodes, context& ctx) {
  constexpr long long max_total = 4ll << 30;
  auto n = ctx.int_param("n", 10, 0, 10'000'000);
  auto size = ctx.int_param("size", 1024, 1, 1 << 20);
  auto window = ctx.int_param("window", 32, 1, 1024);
  if (!n || !size || !window)
    return;
  if (*n * *size > max_total)
    return ctx.fail(fastactor::worker_error{"request", "n*size must be at most 4 GiB",
                                            fastactor::status::bad_request});
  // The window is what a client that stops reading makes the server hold: bound it in bytes.
  constexpr long long max_window_bytes = 8ll << 20;
  if (*window * *size > max_window_bytes)
    return ctx.fail(fastactor::worker_error{
      "request", "window*size must be at most " + std::to_string(max_window_bytes) + " bytes",
      fastactor::status::bad_request});
  auto node = nodes ? nodes->next() : std::nullopt;
  if (!node)
    return ctx.fail(fastactor::worker_error{
      "server",
      nodes ? "no worker node is up (see /distributed/nodes)"
            : "no worker nodes configured (start with --worker-nodes=HOST:PORT,...)",
      fastactor::status::service_unavailable});
  ctx.set_content_type("application/octet-stream");
  ctx.set_header("X-Worker-Node", node->name);
  fastactor::spawn_remote_worker(ctx, *node, "fastactor.demo.chunks",
                                 caf::make_message(static_cast<std::uint64_t>(*n),
                                                   static_cast<std::uint64_t>(*size),
                                                   static_cast<std::uint32_t>(*window)));
}

// GET /distributed/nodes: the worker nodes and whether they are up, as JSON.
void distributed_nodes(fastactor::node_pool* nodes, context& ctx) {
  auto list = nlohmann::json::array();
  if (nodes)
    for (auto& s : nodes->status())
      list.push_back({{"node", s.address.name()},
                      {"up", s.up},
                      {"connects", s.connects},
                      {"last_error", s.last_error}});
  ctx.set_content_type("application/json");
  ctx.write(nlohmann::json{{"nodes", list}}.dump());
}

}  // namespace

fastactor::router routes(std::shared_ptr<fastactor::node_pool> nodes) {
  fastactor::router r;
  r.get("/", index);
  r.get("/hello", hello);
  r.get("/stream", stream);
  r.get("/concurrent/basic", concurrent_basic);
  r.get("/concurrent/advanced", concurrent_advanced);
  r.get("/parallel/execute", parallel);
  r.get("/concurrent/error", concurrent_error);
  r.get("/stream/concurrent", stream_concurrent);
  r.get("/stream/sse", stream_sse);
  r.get("/stream/ndjson", stream_ndjson);
  r.get("/metrics", fastactor::metrics_handler());
  r.get("/distributed/stream", [nodes](context& ctx) { distributed_stream(nodes.get(), ctx); });
  r.get("/distributed/nodes", [nodes](context& ctx) { distributed_nodes(nodes.get(), ctx); });
  return r;
}

}  // namespace demo
