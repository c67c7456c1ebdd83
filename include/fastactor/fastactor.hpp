#pragma once
// Everything a fastactor program uses, in one include. The finer headers beside it, by what
// they are for:
//
//   a program        run.hpp (one call: options, actor system, server, signals),
//                    server.hpp, config.hpp, options.hpp, signals.hpp, thread_policy.hpp,
//                    malloc_trim.hpp
//   routes           router.hpp, handler.hpp, request.hpp, method.hpp, status.hpp,
//                    metrics.hpp
//   handlers         context.hpp (the request, the response head, output, producers),
//                    concurrent.hpp (concurrent_write, with_concurrent_response,
//                    parallel_execute), task_context.hpp (blocking tasks)
//   workers          response_handle.hpp (what a worker writes through), messages.hpp
//                    (the messages a writer accepts), errors.hpp, sse.hpp, ndjson.hpp
//   other machines   remote.hpp (workers on worker nodes), node_pool.hpp
//   counters         stats.hpp

#include <fastactor/compression.hpp>
#include <fastactor/concurrent.hpp>
#include <fastactor/config.hpp>
#include <fastactor/context.hpp>
#include <fastactor/errors.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/malloc_trim.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/method.hpp>
#include <fastactor/metrics.hpp>
#include <fastactor/ndjson.hpp>
#include <fastactor/node_pool.hpp>
#include <fastactor/options.hpp>
#include <fastactor/remote.hpp>
#include <fastactor/request.hpp>
#include <fastactor/response_handle.hpp>
#include <fastactor/router.hpp>
#include <fastactor/run.hpp>
#include <fastactor/server.hpp>
#include <fastactor/signals.hpp>
#include <fastactor/sse.hpp>
#include <fastactor/stats.hpp>
#include <fastactor/status.hpp>
#include <fastactor/task_context.hpp>
#include <fastactor/thread_policy.hpp>
