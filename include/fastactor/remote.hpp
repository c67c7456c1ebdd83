#pragma once
// Workers on other machines, through CAF's own distribution (the middleman).
//
// A worker node is an ordinary CAF process that registers actor types (`add_actor_type`) and
// opens a port. The server connects to it (node_pool.hpp) and spawns a registered worker on
// it per request with CAF's remote spawn; the remote worker gets the request's
// response_handle as its first argument and sends its chunks straight to the request's writer
// across the network. No home-made RPC: only CAF messages.
//
//   // on the node:   (see examples/worker_node)
//   fastactor::configure_remote(cfg, {});
//   cfg.add_actor_type("my.worker", my_worker);   // my_worker(self, response_handle, args...)
//   ... sys.middleman().publish(node_info, port)
//
//   // in a handler on the server:
//   fastactor::spawn_remote_worker(ctx, *pool.next(), "my.worker", caf::make_message(args...));

#include <fastactor/context.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>

#include <chrono>
#include <string>

namespace fastactor {

/// How quickly a dead or hung node is noticed. The same values must be set on both sides:
/// heartbeats only on one side make the other side drop healthy idle connections.
struct remote_settings {
  std::chrono::milliseconds heartbeat{200};  ///< between heartbeats on an idle link
  std::chrono::milliseconds timeout{2000};  ///< no heartbeat for this long: the node is down
};

/// Loads CAF's middleman, sets its heartbeats, and registers the message types that travel
/// between a server and its nodes (response_handle, worker_error, sse_event). Call it on the
/// config of both sides before the actor system is created.
void configure_remote(caf::actor_system_config& cfg, remote_settings settings);

/// A node to spawn a worker on, as node_pool::next() picks it.
struct node_ref {
  std::string name;  ///< "host:port"
  caf::node_id id;  ///< CAF's id of the connected node
};

/// Spawns the actor type `type` (registered on the node) with arguments (output(), args...)
/// on `node` as a worker of this request. Locally, a small proxy worker stands for it: it ends
/// as the remote worker ends, and when the request stops it (with `kill` or any other
/// non-normal reason) it kills the remote worker — `kill`, so a worker with its own exit
/// handler stops too. A spawn still pending when the request ends is killed as soon as it
/// completes. A node that dies, hangs (heartbeats), cannot spawn or does not answer within
/// `spawn_timeout` becomes an error of the response (source "node host:port", status 502); a
/// spawn completing up to one more `spawn_timeout` after that is killed too. Returns the proxy:
/// stopping it (any non-normal reason) stops the remote worker.
caf::actor spawn_remote_worker(context& ctx, const node_ref& node, std::string type,
                               caf::message args,
                               std::chrono::milliseconds spawn_timeout = std::chrono::seconds(5));

}  // namespace fastactor
