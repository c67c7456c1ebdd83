#pragma once
// Inside the library: the node connector's own TLS handshake with a node, before CAF's.
//
// CAF 0.17's OpenSSL module only logs why a handshake failed (and Debian's build logs
// nothing), so a refused node would show up as a bare "connect failed". The connector
// therefore first shakes hands itself, with the same files and the same checks, and turns
// OpenSSL's verdict into a sentence for /distributed/nodes.

#include <fastactor/remote.hpp>

#include <chrono>
#include <string>

namespace fastactor::detail {

/// Loads CAF's OpenSSL module with the three files (after the middleman); nothing if `tls` is
/// not enabled. `tls` has passed check_node_tls().
void configure_tls(caf::actor_system_config& cfg, const node_tls& tls);

/// Pulls actors/openssl_error_queue.cpp (OpenSSL's I/O calls, interposed to clear the error
/// queue first: CAF 0.17.6 does not) into every program that can configure node TLS.
bool openssl_error_queue_fix_linked();

/// The node TLS files `sys` was configured with (empty if none).
node_tls node_tls_of(caf::actor_system& sys);

/// Shakes hands as a server would on `fd` (a connected socket, made non-blocking here), then
/// waits for the node's first bytes: only a node that accepted this side's certificate sends
/// them (with TLS 1.3 the client's handshake ends before the node has checked its
/// certificate). Empty if the node passed and let us pass; otherwise why not. Never waits past
/// `deadline`. Does not close `fd`.
std::string tls_handshake_probe(int fd, const node_tls& tls,
                                std::chrono::steady_clock::time_point deadline);

}  // namespace fastactor::detail
