#pragma once
// remote_worker_host: the node-side half of a remote worker. The server's proxy (remote.cpp)
// spawns a host on the node, never the worker itself; the host spawns the worker next to it
// and ties the two together with a local link.
//
// Why not link the server's proxy to the worker, as CAF offers? CAF 0.17.6 deadlocks the
// receiving side's network thread when a remote link request reaches an actor that has ended
// but is still in its registry: add_link holds both actors' locks, the ended actor's exit goes
// to the forwarding proxy, and the proxy unlinks under the same lock. A worker that ended as
// the server took it on did exactly that, and its node then never read another byte: the
// server's heartbeats timed out and every stream on that node failed. So links here are local
// only; across the network go only monitors (CAF's proxy announcements and down messages),
// which take no such lock.
//
// The host
//  - refuses an owner that is missing or on its own node, and a host as its worker: only a
//    server's proxy owns a worker here, and hosts do not nest;
//  - spawns the worker in its constructor, so the remote spawn completes once the worker
//    exists (a slow spawn is still bounded by the server's spawn timeout); a type this node
//    does not have ends the host with errc::no_worker_type, a reason no worker of CAF's own
//    gives, so the server can tell "no such type" from a worker that failed;
//  - links itself to the worker: the worker's end ends the host with the same reason, and the
//    host's end ends the worker (a kill from the server's proxy, even through the worker's own
//    exit handler);
//  - monitors its owner, the server's proxy, and asks it every `lease_interval` whether it is
//    still there: when the owner is gone (the server died, the link broke:
//    remote_link_unreachable; or a request bounces) the host kills the worker — nobody else
//    could now. The lease is there because CAF's monitor alone can miss a server that lost the
//    node and reconnected before the node noticed (the node's proxies are then never purged);
//  - ends only after its owner said it is watching (watching_atom): CAF tells the server how
//    an actor ended only if it was alive when the server's proxy of it was announced, so an
//    earlier end would reach the server as "unknown", not as the worker's own reason. A host
//    whose worker ended (or never started) and whom nobody watches leaves after one lease.

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace fastactor::detail {

/// The name a server spawns a host by (registered by configure_remote on both sides).
inline constexpr const char* remote_worker_host_type = "fastactor.remote_worker_host";

class remote_worker_host : public caf::event_based_actor {
public:
  /// How often a host asks its owner whether it is still there, and how long the answer may
  /// take: generous, a busy server is no lost server.
  static constexpr std::chrono::seconds lease_interval{5};
  static constexpr std::chrono::seconds lease_timeout{30};

  /// Spawns `type` (an actor type registered on this node) with `args`; `owner` is the
  /// server's proxy that asked for it.
  remote_worker_host(caf::actor_config& cfg, const caf::actor& owner, const std::string& type,
                     const caf::message& args);

  caf::behavior make_behavior() override;
  const char* name() const override { return remote_worker_host_type; }

private:
  /// The worker ended (or never started) with `reason`: end too, once the owner watches.
  void worker_ended(caf::error reason);
  /// Asks the owner whether it is still there (or leaves, if the worker is done unwatched).
  void renew_lease();
  /// The owner is gone (or never answered): kill the worker and end with `reason`.
  void owner_lost(caf::error reason);

  caf::actor owner_;  ///< empty if refused (then ended_ says why)
  caf::actor worker_;  ///< empty if the spawn failed (then ended_ says why)
  std::optional<caf::error> ended_;  ///< the worker's end, once known
  bool watched_ = false;
};

/// Lets the server spawn hosts on this node (configure_remote calls it).
void register_remote_worker_host(caf::actor_system_config& cfg);

}  // namespace fastactor::detail
