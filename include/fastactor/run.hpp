#pragma once
// The usual main() of a fastactor program, in two calls:
//
//   int main(int argc, char** argv) {
//     fastactor::block_termination_signals();          // before any thread starts
//     fastactor::system_config cfg;
//     if (auto code = fastactor::parse_or_exit(cfg, argc, argv, "my_server"))
//       return *code;                                 // --help, or bad options
//     caf::actor_system sys{cfg};
//     fastactor::server srv{sys, cfg.server, my_routes()};
//     return fastactor::serve_until_signal(srv, "my_server");
//   }

#include <fastactor/options.hpp>
#include <fastactor/server.hpp>

#include <optional>
#include <string>

namespace fastactor {

/// Parses the command line (parse_options). On --help returns 0, on bad options prints what
/// was wrong to stderr and returns 2; otherwise applies --thread-policy to the calling thread
/// (every thread started later inherits it: call this before creating the actor system) and
/// returns nothing: go on.
std::optional<int> parse_or_exit(system_config& cfg, int argc, char** argv,
                                 const std::string& program);

/// Starts `srv`, prints `listening on http://HOST:PORT` with the real port as the first line
/// on stdout (flushed: scripts wait for it), waits for SIGINT or SIGTERM, stops the server.
/// Returns the exit code: 0, or 1 if the address cannot be bound. Call
/// block_termination_signals() first thing in main().
int serve_until_signal(server& srv, const std::string& program);

} // namespace fastactor
