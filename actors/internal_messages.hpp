#pragma once
// The library's own mailbox vocabulary: every message one of its actors sends another that no
// worker is meant to send. The vocabulary workers use (worker -> writer) is public:
// <fastactor/messages.hpp>. The split is the trust boundary (docs/design-notes.md, "Hardening"):
// messages there come from code the writer does not own and are checked by stream id; messages here
// are obeyed only from their owner — a key (connection, task), the sender's address, or a
// self-send.
//
//   connection (session) -> writer, each with the connection's key (connection.hpp):
//     (request_atom, key, channel, std::shared_ptr<routed_request>)  a request to
//                                             answer on that channel (connection.hpp)
//     (write_done_atom, key, channel, bool ok)  the channel's write in flight finished
//     (reset_atom, key, channel)              the client cancelled that channel's request
//                                             (HTTP/2 RST_STREAM): end it, and only it
//     (closed_atom, key)                      the peer went away (EOF/error)
//     (timer_atom, key)                       the timer set with connection::set_timer
//     (shutdown_atom, key, bool hard)         the server is stopping: finish the response
//                                             under way (drain), or end it now (hard)
//   a server's producer_watches -> writer, with the server's token (producer_watches.hpp):
//     (producer_ended_atom, caf::actor_addr, caf::error, token)  a shared producer that the
//                                             writer's responses hold has ended
//   writer -> itself:
//     (flush_atom)                            write what the last batch of messages queued
//     (resume_atom)                           go on compressing a coded stream (after a yield)
//   blocking task (parallel_execute) -> its coordinator:
//     (task_done_atom, index, task_result)    one task's result
//   node_pool -> a node's connector:
//     (stop_atom)                             stop reconnecting and quit
//   remote spawner -> the local proxy of a remote worker (remote.cpp):
//     (adopt_atom, strong_actor_ptr)          here is your remote worker's host
//     (spawn_failed_atom, error)              the spawn failed
//     (give_up_atom)                          the proxy's own timer: the spawn took too long
//   the local proxy -> its remote worker's host on the node (remote_worker_host.hpp):
//     (watching_atom)                         the proxy monitors the host now: it may end
//   a remote worker's host -> the local proxy (remote_worker_host.hpp); and -> itself:
//     (lease_atom) -> (lease_atom)            still there? (a request; its own timer first)

#include <caf/atom.hpp>

namespace fastactor {

using request_atom = caf::atom_constant<caf::atom("fa_req")>;
using write_done_atom = caf::atom_constant<caf::atom("fa_wdone")>;
using reset_atom = caf::atom_constant<caf::atom("fa_reset")>;
using closed_atom = caf::atom_constant<caf::atom("fa_closed")>;
using timer_atom = caf::atom_constant<caf::atom("fa_timer")>;
using shutdown_atom = caf::atom_constant<caf::atom("fa_shut")>;

using producer_ended_atom = caf::atom_constant<caf::atom("fa_pended")>;

using flush_atom = caf::atom_constant<caf::atom("fa_flush")>;
using resume_atom = caf::atom_constant<caf::atom("fa_resume")>;

using task_done_atom = caf::atom_constant<caf::atom("fa_tdone")>;

using stop_atom = caf::atom_constant<caf::atom("fa_stop")>;

using adopt_atom = caf::atom_constant<caf::atom("fa_radopt")>;
using spawn_failed_atom = caf::atom_constant<caf::atom("fa_rsfail")>;
using give_up_atom = caf::atom_constant<caf::atom("fa_rgiveup")>;
using watching_atom = caf::atom_constant<caf::atom("fa_rwatch")>;
using lease_atom = caf::atom_constant<caf::atom("fa_rlease")>;

}  // namespace fastactor
