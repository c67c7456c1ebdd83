#pragma once
// The response writer: the one actor that writes to a connection's socket.
//
// A connection gets one writer; the writer answers the connection's requests in turn, each
// in a request scope of its own (request_scope.hpp). Producers — the handler, worker actors,
// blocking tasks, actors on other nodes — only send it messages (<fastactor/messages.hpp>); its
// mailbox is what serializes them, so no lock guards the socket.
//
// Per response (request_scope.hpp, response_phase): open -> streaming -> finishing.
//  * Complete before the first byte: one write with Content-Length (or an error report).
//  * Otherwise: chunked transfer coding; chunks that arrive while a write is in flight are
//    gathered into the next write (exactly one write in flight).
//  * Errors before the first byte: an error response listing every error (status of the
//    first). After streaming began: the `Fastactor-Errors` trailer. A fatal end (deadline,
//    buffer overflow) after streaming began cuts the connection without the last chunk.
//  * HTTP/1.0 clients cannot take chunked coding: a streamed body ends with the connection,
//    and has no trailer (errors after the first byte reach only the server's counters).
//  * A request that ends — complete, client gone, deadline — stops its workers, sets its
//    cancel flag, and every late message tagged with its stream id is dropped and counted.

#include "actors/connection.hpp"
#include "actors/runtime.hpp"
#include "actors/writer_home.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>

#include <memory>

namespace fastactor {

/// Spawns the writer for one connection. It ends when the connection does. It runs on
/// `home` — the connection's own thread (writer_home.hpp) — and never on the CAF scheduler;
/// the workers it spawns do run there. The writer keeps `home` as long as it exists itself,
/// which can be longer than `conn` (writer_home.hpp). The writer obeys only connection
/// messages that carry `key` (connection.hpp).
caf::actor spawn_response_writer(caf::actor_system& sys, std::shared_ptr<connection> conn,
                                 std::shared_ptr<runtime> rt, std::shared_ptr<writer_home> home,
                                 connection_key key);

}  // namespace fastactor
