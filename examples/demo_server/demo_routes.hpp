#pragma once
// The demo server's routes: every endpoint of the FastGo guide, built from fastactor's three
// operations and a few small worker actors.

#include <fastactor/router.hpp>

#include <memory>

namespace fastactor {
class node_pool;
}  // namespace fastactor

namespace demo {

/// GET /, /hello, /stream, /concurrent/basic, /concurrent/advanced, /parallel/execute,
/// /concurrent/error, /stream/concurrent, /stream/sse, /stream/ndjson, /metrics, and
/// /distributed/stream + /distributed/nodes, served by the worker nodes of `nodes` (without
/// nodes those answer 503; the routes keep the pool alive).
fastactor::router routes(std::shared_ptr<fastactor::node_pool> nodes = nullptr);

}  // namespace demo
