#pragma once
// The demo server's routes: every endpoint of the seed guide, built from fastactor's three
// operations and a few small worker actors.

#include "server/router.hpp"

namespace demo {

/// GET /, /hello, /stream, /concurrent/basic, /concurrent/advanced, /parallel/execute,
/// /concurrent/error, /stream/concurrent, /stream/sse, /stream/ndjson.
fastactor::router routes();

} // namespace demo
