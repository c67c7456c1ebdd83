#pragma once
// Everything a fastactor program uses, in one include:
//   server (listener, router, options), context and the seed operations, response handles.

#include <fastactor/concurrent.hpp>
#include <fastactor/context.hpp>
#include <fastactor/response_handle.hpp>
#include <fastactor/task_context.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/method.hpp>
#include <fastactor/ndjson.hpp>
#include <fastactor/sse.hpp>
#include <fastactor/metrics.hpp>
#include <fastactor/options.hpp>
#include <fastactor/router.hpp>
#include <fastactor/run.hpp>
#include <fastactor/server.hpp>
#include <fastactor/signals.hpp>
#include <fastactor/status.hpp>
