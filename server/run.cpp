#include <fastactor/run.hpp>

#include <fastactor/signals.hpp>

#include <iostream>

namespace fastactor {

std::optional<int> parse_or_exit(system_config& cfg, int argc, char** argv,
                                 const std::string& program) {
  auto parsed = parse_options(cfg, argc, argv);
  switch (parsed.outcome) {
    case parse_outcome::run:
      // Before the actor system and the server start their threads: they inherit it.
      if (auto err = apply_thread_policy(cfg.server.threads); !err.empty())
        std::cerr << program << ": " << err << " (going on with the system's default)\n";
      return std::nullopt;
    case parse_outcome::help_shown:
      return 0;
    case parse_outcome::invalid:
      break;
  }
  std::cerr << program << ": " << parsed.error << " (see --help)\n";
  return 2;
}

int serve_until_signal(server& srv, const std::string& program) {
  const auto& cfg = srv.config();
  try {
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << program << ": cannot listen on " << cfg.host << ":" << cfg.port << ": "
              << e.what() << '\n';
    return 1;
  }
  auto host = cfg.host.find(':') == std::string::npos ? cfg.host : "[" + cfg.host + "]";
  std::cout << "listening on http://" << host << ":" << srv.port() << std::endl;
  int sig = wait_for_termination_signal();
  std::cerr << program << ": signal " << sig << ", stopping\n";
  srv.stop();
  return 0;
}

} // namespace fastactor
