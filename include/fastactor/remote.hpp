#pragma once
// Workers on other machines, through CAF's own distribution (the middleman).
//
// A worker node is an ordinary CAF process that registers actor types (`add_actor_type`) and
// opens a port. The server connects to it (node_pool.hpp) and spawns a registered worker on
// it per request with CAF's remote spawn (through a small host on the node that configure_remote
// registers: the two sides only monitor each other, never link across the network, because CAF
// 0.17.6 deadlocks a node on a remote link to an actor that just ended); the remote worker gets
// the request's response_handle as its first argument and sends its chunks straight to the
// request's writer across the network. No home-made RPC: only CAF messages.
//
//   // on the node:   (see examples/worker_node)
//   fastactor::configure_remote(cfg, {});
//   cfg.add_actor_type("my.worker", my_worker);   // my_worker(self, response_handle, args...)
//   ... fastactor::publish_node(node_info, port, host)
//
//   // in a handler on the server:
//   fastactor::spawn_remote_worker(ctx, *pool.next(), "my.worker", caf::make_message(args...));

#include <fastactor/context.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace fastactor {

/// Mutual TLS for the link between a server and its nodes (CAF's OpenSSL module): each side
/// shows `certificate` and requires from its peer a certificate signed by `ca`. All three
/// files or none: without them the link is plain, unauthenticated TCP (trusted networks only,
/// docs/remote.md). Command line: `--node-tls-cert=`, `--node-tls-key=`, `--node-tls-ca=`.
struct node_tls {
  std::string certificate;  ///< this side's certificate (chain), PEM
  std::string key;  ///< its private key, PEM, not encrypted
  std::string ca;  ///< the CA certificate(s), PEM, that must have signed the peer's certificate
  /// True if any of the three is set (check_node_tls() then wants all three).
  bool enabled() const { return !certificate.empty() || !key.empty() || !ca.empty(); }
};

/// Why `tls` cannot be used, naming the option or file at fault; empty if it can (all three
/// files readable, in PEM, the key matching the certificate — or none given). Checked here,
/// at start, because CAF reads these files only at each connection, and a failure there ends
/// the process from inside its network thread.
std::string check_node_tls(const node_tls& tls);

/// How many threads deserialize what the other side sends (CAF's `middleman.workers`) on a
/// machine with `cores` cores: none below 4 cores — the middleman's own thread deserializes
/// each message as it reads it — else CAF's own default. A worker thread is one more hand-off
/// per message (a wake-up, a queue) that pays only where cores are to spare: on a 2-core
/// machine, 1 GiB through one node in 64 KiB chunks went 15 % faster without it over 9
/// rounds, though single runs vary from no gain to 30 % (docs/remote.md, "Throughput").
std::size_t basp_workers_for(unsigned cores);

/// basp_workers_for() this machine (std::thread::hardware_concurrency()).
std::size_t default_basp_workers();

/// The `--node-basp-workers` value as a count: -1 (automatic) is default_basp_workers().
/// The option's range, -1..64, is checked where it is parsed.
std::size_t basp_workers_option(std::int64_t value);

/// How quickly a dead or hung node is noticed (the same values must be set on both sides:
/// heartbeats only on one side make the other side drop healthy idle connections), whether
/// the link is mutually authenticated TLS, and who deserializes what arrives.
struct remote_settings {
  std::chrono::milliseconds heartbeat{200};  ///< between heartbeats on an idle link
  std::chrono::milliseconds timeout{2000};  ///< no heartbeat for this long: the node is down
  node_tls tls;  ///< the same on both sides: all three files, or none for a plain link
  /// Deserializing threads, each side for itself (`--node-basp-workers`); 0: the middleman's
  /// own thread. Either way a sender's messages arrive in the order it sent them.
  std::size_t basp_workers = default_basp_workers();
};

/// Loads CAF's middleman (and, with `settings.tls`, CAF's OpenSSL module with the three files),
/// sets its heartbeats, and registers the message types that travel between a server and its
/// nodes (response_handle, worker_error, sse_event). Call it on the config of both sides
/// before the actor system is created. Throws std::invalid_argument with check_node_tls()'s
/// message if `settings.tls` is set but unusable: a node link never falls back to plain.
void configure_remote(caf::actor_system_config& cfg, remote_settings settings);

/// True if `sys` was configured with node TLS (configure_remote with `tls` set): node_pool then
/// connects, and publish_node() listens, with mutual TLS only.
bool uses_node_tls(caf::actor_system& sys);

/// Opens a node's port for servers to connect to: `whom` is what they connect to and monitor.
/// With node TLS (uses_node_tls) only TLS peers whose certificate the CA signed get past the
/// handshake; without it, the port is plain BASP. `host` empty: every interface. Returns the
/// port (the real one if `port` was 0) or why it cannot listen.
caf::expected<std::uint16_t> publish_node(const caf::actor& whom, std::uint16_t port,
                                          const std::string& host);

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
/// spawn completing after that is killed too (within one more `spawn_timeout` by this side,
/// later by its host on the node, which finds the proxy gone). If this process dies or loses
/// the node, the host kills the worker (its monitor of the proxy, or a lease it renews every
/// 5 s). Returns the proxy:
/// stopping it (any non-normal reason) stops the remote worker.
caf::actor spawn_remote_worker(context& ctx, const node_ref& node, std::string type,
                               caf::message args,
                               std::chrono::milliseconds spawn_timeout = std::chrono::seconds(5));

}  // namespace fastactor
