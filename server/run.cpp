#include <fastactor/run.hpp>

#include <fastactor/malloc_trim.hpp>
#include <fastactor/signals.hpp>

#include <caf/actor_system.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace fastactor {

namespace {

/// "demo_server" for "build/bin/demo_server", for messages.
std::string program_name(int argc, char** argv) {
  std::string path = argc > 0 && argv[0] ? argv[0] : "fastactor";
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// What nginx's `reload` is to its users (ACME renewals): the new pair for new handshakes,
// no connection dropped; a broken file changes nothing.
void reload_on_hangup(server& srv, const std::string& program) {
  if (!serves_https(srv.config()))
    return static_cast<void>(std::cerr << program << ": SIGHUP: no TLS, nothing to reload\n");
  auto error = srv.reload_tls();
  if (error.empty())
    std::cerr << program << ": SIGHUP: reloaded " << srv.config().tls_cert << " and "
              << srv.config().tls_key << '\n';
  else
    std::cerr << program << ": SIGHUP: reload refused, the old certificate stays: " << error
              << '\n';
}

}  // namespace

int run(int argc, char** argv, router routes) {
  auto shared = std::make_shared<router>(std::move(routes));
  return run(argc, argv,
             [shared](caf::actor_system&, const server_config&) { return std::move(*shared); });
}

int run(int argc, char** argv, route_factory make_routes) {
  block_termination_signals();  // before any thread starts: they inherit it
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // access-log lines appear as they happen
  auto program = program_name(argc, argv);
  system_config cfg;
  if (auto code = parse_or_exit(cfg, argc, argv, program))
    return *code;
  caf::actor_system sys{cfg};
  std::optional<server> srv;
  try {
    srv.emplace(sys, cfg.server, make_routes(sys, cfg.server));
  } catch (const std::invalid_argument& e) {  // e.g. a certificate that cannot be loaded
    std::cerr << program << ": " << e.what() << '\n';
    return 1;
  }
  return serve_until_signal(*srv, program);
}

std::optional<int> parse_or_exit(system_config& cfg, int argc, char** argv,
                                 const std::string& program) {
  auto parsed = parse_options(cfg, argc, argv);
  switch (parsed.outcome) {
    case parse_outcome::run:
      // Before the actor system and the server start their threads: they inherit it.
      if (auto err = apply_thread_policy(cfg.server.threads); !err.empty())
        std::cerr << program << ": " << err << " (going on with the system's default)\n";
      if (auto err = apply_malloc_trim_threshold(cfg.server.malloc_trim_threshold); !err.empty())
        std::cerr << program << ": " << err << " (going on with glibc's default)\n";
      return std::nullopt;
    case parse_outcome::help_shown: return 0;
    case parse_outcome::invalid: break;
  }
  std::cerr << program << ": " << parsed.error << " (see --help)\n";
  return 2;
}

int serve_until_signal(server& srv, const std::string& program) {
  const auto& cfg = srv.config();
  try {
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << program << ": cannot listen on " << cfg.host << ":" << cfg.port << ": " << e.what()
              << '\n';
    return 1;
  }
  auto host = cfg.host.find(':') == std::string::npos ? cfg.host : "[" + cfg.host + "]";
  std::cout << "listening on " << srv.scheme() << "://" << host << ":" << srv.port() << std::endl;
  int sig = 0;
  while ((sig = wait_for_control_signal()) == SIGHUP)
    reload_on_hangup(srv, program);
  std::cerr << program << ": signal " << sig << ", stopping\n";
  srv.stop();
  return 0;
}

}  // namespace fastactor
