#pragma once
// The message vocabulary between worker actors and a request's response writer.
//
// A worker never touches the socket: it sends the writer messages, each tagged with the
// stream id of the request it works for. The writer drops (and counts) any message whose
// stream id is not the request it is answering now, so a late message from a finished
// request can never leak into the next response on the same connection.
//
//   worker -> writer                          meaning
//   (chunk_atom, stream_id, std::string)      append bytes to the response; no reply
//   (write_atom, stream_id, std::string)      same, with flow control: send it with
//                                             `request`; the reply `ack_atom` comes when
//                                             the writer's queue is below its high-water mark
//   (event_atom, stream_id, sse_event)        a Server-Sent Event (<fastactor/sse.hpp>); the
//                                             writer numbers it if it has no id. Sent with
//                                             `request`, it is acknowledged like write_atom
//   (fail_atom, stream_id, worker_error)      record an error; the response goes on (in an
//                                             SSE or NDJSON stream it is also sent in-band)
//   (done_atom, stream_id, key)               a blocking task has finished; sent by the
//                                             task's wrapper (context::go) with the key the
//                                             writer made for the request's tasks, so nobody
//                                             else can end a request early (a forged one is
//                                             counted)
//   (finish_atom, stream_id, key)             a shared producer (context::subscribe) is done
//                                             with this response; the key is the one in the
//                                             handle subscribe returned. Anything else is
//                                             dropped and counted
//
//   writer -> shared producer
//   (ended_atom, response_handle)             the response ended without the producer's
//                                             finish (client gone, deadline, error, shutdown):
//                                             forget it. Holding the handle is what it takes
//                                             to send this, as it is to write into the response
//
// Worker actors spawned through the request (`context::spawn`) are done when they terminate:
// the writer monitors them (no link). A normal exit is "done", any other exit reason — `kill`
// included — is an error of that request only.

#include <fastactor/status.hpp>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace fastactor {

/// Identifies one request scope (one request/response exchange). Unique among a server's
/// requests. One connection's requests get increasing ids, but the server's are not in their
/// order of arrival (each I/O thread hands out ids from a block of its own). Not a secret:
/// what lets a worker write to a response is the writer's handle.
using stream_id = std::uint64_t;

using chunk_atom = caf::atom_constant<caf::atom("fa_chunk")>;
using write_atom = caf::atom_constant<caf::atom("fa_write")>;
using ack_atom = caf::atom_constant<caf::atom("fa_ack")>;
using event_atom = caf::atom_constant<caf::atom("fa_event")>;
using fail_atom = caf::atom_constant<caf::atom("fa_fail")>;
using done_atom = caf::atom_constant<caf::atom("fa_done")>;
using finish_atom = caf::atom_constant<caf::atom("fa_finish")>;
using ended_atom = caf::atom_constant<caf::atom("fa_ended")>;

/// One error of a response, as workers report it and as the JSON report lists it.
struct worker_error {
  std::string source;  ///< who failed: "handler", "task 3", "worker 42", ...
  std::string message;  ///< what went wrong, for humans
  /// HTTP status to answer with if this is the first error
  fastactor::status status = fastactor::status::internal_server_error;
};

// CAF's serializers write an enum as its underlying type: the status goes over the wire as
// the same 16-bit code as before it was typed.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_error& x) {
  return f(caf::meta::type_name("fastactor::worker_error"), x.source, x.message, x.status);
}

inline bool operator==(const worker_error& a, const worker_error& b) {
  return a.source == b.source && a.message == b.message && a.status == b.status;
}

}  // namespace fastactor
