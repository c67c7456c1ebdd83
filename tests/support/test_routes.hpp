#pragma once
// Handlers the library's tests share, built from fastactor's public API alone (the demo's
// routes belong to the demo, and tests/demo tests them). Each test file registers the ones
// it exercises, under the paths below; their output is deterministic, so a test can check
// every byte.
//   /hello                   "ok"
//   /stream?n=&size=&interval_ms=
//                            n chunks of size bytes from a worker, chunk i all 'a' + i % 26,
//                            with flow control; n*size over 4 GiB is a 400
//   /concurrent/basic        five workers write "Worker i response\n" (concurrent_write)
//   /parallel/execute        two blocking tasks of 100 and 150 ms (parallel_execute):
//                            "Task 1 completed\nTask 2 completed\n"
//   /stream/concurrent       three workers write five lines each, 200 ms apart (about 1 s)
//   /stream/sse?count=&interval_ms=
//                            SSE: a retry of 1000 ms, then `count` "tick" events from three
//                            workers, data {"worker","seq","of"}
//   /stream/ndjson?items=&workers=
//                            NDJSON: a batch job's progress lines, then a summary line
//   /distributed/stream?n=&size=&window=
//                            /stream's chunks from a worker on a worker node (503 if none)

#include <fastactor/context.hpp>
#include <fastactor/handler.hpp>

namespace fastactor {
class node_pool;
}  // namespace fastactor

namespace testing::shared_routes {

void hello(fastactor::context& ctx);
void stream(fastactor::context& ctx);
void concurrent_basic(fastactor::context& ctx);
void parallel_execute(fastactor::context& ctx);
void stream_concurrent(fastactor::context& ctx);
void stream_sse(fastactor::context& ctx);
void stream_ndjson(fastactor::context& ctx);

/// The worker type a test worker node (tests/support/test_worker_node.cpp) registers for
/// /distributed/stream: (n, size, window) as (std::uint64_t, std::uint64_t, std::uint32_t).
inline constexpr const char* remote_chunks_type = "fastactor.test.chunks";

/// /distributed/stream over the worker nodes of `nodes`.
fastactor::handler distributed_stream(fastactor::node_pool& nodes);

}  // namespace testing::shared_routes
