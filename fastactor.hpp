#pragma once
// Everything a fastactor program uses, in one include:
//   server (listener, router, options), context and the seed operations, response handles.

#include "actors/concurrent.hpp"
#include "actors/context.hpp"
#include "actors/response_handle.hpp"
#include "actors/task_context.hpp"
#include "protocol/messages.hpp"
#include "protocol/ndjson.hpp"
#include "protocol/sse.hpp"
#include "server/metrics.hpp"
#include "server/options.hpp"
#include "server/router.hpp"
#include "server/run.hpp"
#include "server/server.hpp"
#include "server/signals.hpp"
