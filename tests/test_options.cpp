// Command-line options, parsed by CAF's config machinery.
#include <fastactor/options.hpp>

#include <caf/settings.hpp>
#include <catch2/catch.hpp>

using namespace fastactor;

namespace {

parse_result parse(system_config& cfg, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);  // argv[argc] is a null pointer, as in main()
  return parse_options(cfg, static_cast<int>(args.size()), argv.data());
}

} // namespace

SCENARIO("options have the documented defaults", "[options]") {
  system_config cfg;
  auto r = parse(cfg, {});
  CHECK(r.outcome == parse_outcome::run);
  CHECK(cfg.server.host == "127.0.0.1");
  CHECK(cfg.server.port == 8080);
  CHECK(cfg.server.request_timeout_ms == 60000);
  CHECK(cfg.server.threads == thread_policy::batch);
  CHECK(caf::get_or(cfg, "scheduler.policy", caf::atom("")) == caf::atom("sharing"));
}

SCENARIO("options given on the command line are applied", "[options]") {
  system_config cfg;
  auto r = parse(cfg, {"--host=0.0.0.0", "--port=0", "--actor-threads=3", "--io-threads=2",
                       "--request-timeout-ms=1500", "--blocking-threads=5",
                       "--thread-policy=normal"});
  REQUIRE(r.outcome == parse_outcome::run);
  CHECK(cfg.server.host == "0.0.0.0");
  CHECK(cfg.server.port == 0);
  CHECK(cfg.server.io_threads == 2);
  CHECK(cfg.server.blocking_threads == 5);
  CHECK(cfg.server.request_timeout_ms == 1500);
  CHECK(cfg.server.threads == thread_policy::normal);
  THEN("the actor thread count becomes CAF's scheduler size") {
    CHECK(caf::get_or(cfg, "scheduler.max-threads", std::size_t{0}) == 3);
  }
}

SCENARIO("bad options are refused with a message that names them", "[options]") {
  system_config cfg;
  GIVEN("a port out of range") {
    auto r = parse(cfg, {"--port=70000"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--port") != std::string::npos);
  }
  GIVEN("a thread policy Linux does not have here") {
    auto r = parse(cfg, {"--thread-policy=realtime"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--thread-policy must be batch or normal, got 'realtime'")
          != std::string::npos);
  }
  GIVEN("an option that does not exist") {
    auto r = parse(cfg, {"--no-such-option=1"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("no-such-option") != std::string::npos);
  }
  GIVEN("a value of the wrong type") {
    auto r = parse(cfg, {"--request-timeout-ms=soon"});
    CHECK(r.outcome == parse_outcome::invalid);
  }
  GIVEN("zero I/O threads") {
    auto r = parse(cfg, {"--io-threads=0"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--io-threads") != std::string::npos);
  }
}
