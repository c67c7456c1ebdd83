#pragma once
// run: a whole fastactor program in one call.
//
//   #include <fastactor/fastactor.hpp>
//
//   int main(int argc, char** argv) {
//     fastactor::router routes;
//     routes.get("/hello", [](fastactor::context& ctx) { ctx.write("hello"); });
//     return fastactor::run(argc, argv, std::move(routes));
//   }
//
// run() parses the command line (every server option, `--help`), starts the actor system and
// the server, prints `listening on http://HOST:PORT`, serves until SIGINT or SIGTERM, drains,
// and returns the exit code for main.
//
// A program that needs the actor system or the options before it can make its routes (to
// spawn a service actor, to connect to worker nodes) passes a function instead of routes. A
// program that must do more (its own options, two servers in one process) builds the same
// steps by hand from the functions below, as run() does.

#include <fastactor/options.hpp>
#include <fastactor/router.hpp>
#include <fastactor/server.hpp>

#include <functional>
#include <optional>
#include <string>

namespace fastactor {

/// Makes a program's routes once the actor system runs and the options are known.
using route_factory = std::function<router(caf::actor_system& sys, const server_config& cfg)>;

/// Runs a server with `routes` until SIGINT or SIGTERM; returns main's exit code: 0 after a
/// signal, 0 for `--help`, 2 for bad options, 1 if the address cannot be bound. Call it
/// first thing in main: it blocks SIGINT and SIGTERM in every thread it starts.
int run(int argc, char** argv, router routes);

/// The same, with routes made by `make_routes` after the options are parsed and the actor
/// system started (whatever the routes hold lives until the server has stopped).
int run(int argc, char** argv, route_factory make_routes);

// -- the steps of run(), for programs that need them one by one ------------------------------

/// Parses the command line (parse_options). On --help returns 0, on bad options prints what
/// was wrong to stderr and returns 2; otherwise applies --thread-policy to the calling thread
/// (every thread started later inherits it: call this before creating the actor system) and
/// --malloc-trim-threshold to the process (malloc_trim.hpp), and returns nothing: go on.
std::optional<int> parse_or_exit(system_config& cfg, int argc, char** argv,
                                 const std::string& program);

/// Starts `srv`, prints `listening on http://HOST:PORT` (`https://` with TLS) with the real
/// port as the first line on stdout (flushed: scripts wait for it), reloads the TLS
/// certificate on each SIGHUP (server::reload_tls, the outcome on stderr), waits for SIGINT
/// or SIGTERM, stops the server.
/// Returns the exit code: 0, or 1 if the address cannot be bound. Call
/// block_termination_signals() first thing in main().
int serve_until_signal(server& srv, const std::string& program);

}  // namespace fastactor
