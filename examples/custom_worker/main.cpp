// custom_worker: workers written as ordinary CAF actors.
//
//   build/bin/custom_worker [--port=8081] [--help]
//
//   GET /primes?from=A&to=B&workers=K   the primes in [A, B] as NDJSON, one line per prime,
//                                       found by K stateful worker actors, then a summary line
//                                       written by a class-based actor
//   GET /primes/live?from=A&interval_ms=I
//                                       one prime per interval, with no end of its own: the
//                                       worker is stopped when the request ends (the client
//                                       leaves, or the --request-timeout-ms deadline)
//   GET /metrics                        the server's counters (live_workers, ...)

#include "primes_worker.hpp"

#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>

#include <string>

namespace {

using fastactor::context;

// Bounds that keep one request short: trial division up to 10^9 takes at most ~16,000
// divisions per candidate, and a span of 2,000,000 keeps a request to a few CPU seconds.
constexpr long long max_number = 1'000'000'000;
constexpr long long max_span = 2'000'000;
constexpr long long max_workers = 16;

// GET /primes?from=A&to=B&workers=K
void primes(context& ctx) {
  auto from = ctx.int_param("from", 1, 0, max_number);
  auto to = ctx.int_param("to", 100, 0, max_number);
  auto workers = ctx.int_param("workers", 4, 1, max_workers);
  if (!from || !to || !workers)
    return;  // int_param already failed the request with 400 and a message
  if (*to < *from || *to - *from >= max_span)
    return ctx.fail(fastactor::worker_error{
      "request",
      "need from <= to and to - from < " + std::to_string(max_span)
        + ", got from=" + std::to_string(*from) + " to=" + std::to_string(*to),
      fastactor::status::bad_request});

  ctx.begin_ndjson();
  auto k = static_cast<int>(*workers);
  auto job = custom_worker::primes_job{static_cast<std::uint64_t>(*from),
                                       static_cast<std::uint64_t>(*to), k};

  // A class-based worker: spawned by the writer actor (ctx.self()) with this request's
  // output, then adopted, so the response waits for it and it is stopped with the request.
  auto summary = ctx.self()->spawn<custom_worker::summary_actor>(ctx.output(), job);
  ctx.adopt(summary);

  // K stateful workers, each with a contiguous slice of [from, to].
  auto count = job.to - job.from + 1;
  auto first = job.from;
  for (int w = 1; w <= k; ++w) {
    auto size = count / k + (static_cast<std::uint64_t>(w) <= count % k ? 1 : 0);
    // An empty slice is [first, first - 1]; the worker reports 0 at once.
    auto worker = ctx.spawn(custom_worker::primes_worker, w, first, first + size - 1, summary);
    ctx.self()->send(summary, custom_worker::watch_atom::value, worker);
    first += size;
  }
}

// GET /primes/live?from=A&interval_ms=I
void primes_live(context& ctx) {
  auto from = ctx.int_param("from", 1, 0, max_number);
  auto interval = ctx.int_param("interval_ms", 200, 10, 60'000);
  if (!from || !interval)
    return;
  ctx.begin_ndjson();
  ctx.spawn(custom_worker::live_primes, static_cast<std::uint64_t>(*from),
            std::chrono::milliseconds(*interval));
}

}  // namespace

int main(int argc, char** argv) {
  fastactor::router routes;
  routes.get("/primes", primes);
  routes.get("/primes/live", primes_live);
  routes.get("/metrics", fastactor::metrics_handler());
  // Parses the options (--port=0 takes a free port), prints "listening on http://HOST:PORT"
  // as the first line on stdout, serves until SIGINT or SIGTERM, then stops the server (its
  // workers are stopped with it).
  return fastactor::run(argc, argv, std::move(routes));
}
