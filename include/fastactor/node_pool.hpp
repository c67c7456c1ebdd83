#pragma once
// node_pool: the worker nodes a server spreads remote work over, and which of them are up.
//
// One connector per node (a detached CAF actor, so its waiting never occupies a scheduler
// thread) keeps the node connected: it first probes the TCP port itself with a bounded
// non-blocking connect — CAF 0.17's middleman blocks in a plain connect() for minutes on a
// host that never answers, and everything else in the middleman waits behind it — then asks
// the middleman to connect, monitors the node, and on loss (the node died, or stopped
// answering heartbeats) marks it down and reconnects once it is back. A request picks among
// the nodes known to be up (round robin) and never waits on one known to be down.
//
// With node TLS (configure_remote with `tls`) the connectors connect through CAF's OpenSSL
// module only, and first shake hands with the node themselves with the same files: CAF does
// not say why a handshake failed, this handshake does, into node_status::last_error ("the
// node's certificate is not signed by this server's --node-tls-ca", "the node refused this
// server's certificate", "the node does not speak TLS").

#include <fastactor/remote.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fastactor {

/// Where a worker node listens (`worker_node --host --port`).
struct node_address {
  std::string host;  ///< name or address
  std::uint16_t port = 0;  ///< the node's middleman port
  /// "host:port", as logs and /distributed/nodes show it.
  std::string name() const { return host + ":" + std::to_string(port); }
};

/// "h1:p1,h2:p2" -> addresses; an entry that is not HOST:PORT makes `error` say which.
std::vector<node_address> parse_node_list(const std::string& text, std::string& error);

/// One node as the pool sees it now.
struct node_status {
  node_address address;  ///< where it is
  bool up = false;  ///< connected and answering heartbeats
  std::uint64_t connects = 0;  ///< successful connections so far
  std::string last_error;  ///< why it is down, if it is
};

/// The worker nodes of a server: keeps each connected and picks one that is up per request.
/// Thread-safe; lives longer than the routes that use it and shorter than the actor system.
class node_pool {
public:
  /// How patient the connectors are.
  struct timing {
    std::chrono::milliseconds probe_timeout{1000};  ///< for the TCP reachability probe
    std::chrono::milliseconds retry{1000};  ///< between attempts on a down node
    std::chrono::milliseconds connect_timeout{3000};  ///< for the middleman's handshake
  };

  /// Starts a connector per node. `sys` must have the middleman (configure_remote); with node
  /// TLS configured there, every node is connected with mutual TLS, never plain.
  node_pool(caf::actor_system& sys, std::vector<node_address> nodes, timing t);
  /// With the default timing.
  node_pool(caf::actor_system& sys, std::vector<node_address> nodes)
    : node_pool(sys, std::move(nodes), timing{}) {}
  ~node_pool();

  node_pool(const node_pool&) = delete;
  node_pool& operator=(const node_pool&) = delete;

  /// The next node that is up (round robin), or none.
  std::optional<node_ref> next();
  /// Every node and whether it is up, in the order given.
  std::vector<node_status> status() const;
  /// How many nodes the pool has (up or not).
  std::size_t size() const { return nodes_.size(); }
  /// Waits until `n` nodes are up or `timeout` passes.
  bool wait_until_up(std::size_t n, std::chrono::milliseconds timeout) const;

  /// Stops the connectors (the destructor does it too).
  void stop();

  // -- used by the connectors -------------------------------------------------------------
  /// The node at `index` is connected as `id` (called by its connector).
  void mark_up(std::size_t index, caf::node_id id);
  /// The node at `index` is lost, for reason `why` (called by its connector).
  void mark_down(std::size_t index, std::string why);

private:
  struct entry {
    node_status status;
    caf::node_id id;
  };

  mutable std::mutex mtx_;
  std::vector<entry> nodes_;
  std::size_t next_ = 0;
  std::vector<caf::actor> connectors_;
};

}  // namespace fastactor
