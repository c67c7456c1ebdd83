// Command-line options, parsed by CAF's config machinery.
#include <fastactor/options.hpp>
#include <fastactor/remote.hpp>

#include "actors/runtime.hpp"

#include <caf/settings.hpp>
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

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

/// What `--help` prints (CAF writes it to std::cout).
std::string help_text() {
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  system_config cfg;
  auto r = parse(cfg, {"--help"});
  std::cout.rdbuf(old);
  CHECK(r.outcome == parse_outcome::help_shown);
  return out.str();
}

/// The line of `text` that documents `--name`.
std::string line_of(const std::string& text, const std::string& name) {
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (line.find("--" + name + "=") != std::string::npos)
      return line;
  return {};
}

// A valid value other than `x`, for every type an option has (`name`: the option's).
void change(bool& x, const std::string&) {
  x = !x;
}
void change(thread_policy& x, const std::string&) {
  x = x == thread_policy::batch ? thread_policy::normal : thread_policy::batch;
}
void change(compression_mode& x, const std::string&) {
  x = x == compression_mode::on ? compression_mode::off : compression_mode::on;
}
template <class Int>
void change(Int& x, const std::string&) {
  ++x;  // every default lies below its maximum, and raising a bound keeps it below the next
}
void change(std::string& x, const std::string& name) {
  // node-tls-* want readable PEM files, all three together
  if (name == "node-tls-cert")
    x = TEST_CERTS_DIR "/ca/server.pem";
  else if (name == "node-tls-key")
    x = TEST_CERTS_DIR "/ca/server.key";
  else if (name == "node-tls-ca")
    x = TEST_CERTS_DIR "/ca/ca.pem";
  else if (name == "compress-prefer")
    x = "gzip, br";
  else
    x = x.empty() ? "127.0.0.1:4242" : "::1";  // worker-nodes wants HOST:PORT
}

// The table's checks, read here to test each option's bounds and messages.
struct in_range {
  in_range(std::int64_t lowest, std::int64_t highest) : min(lowest), max(highest) {}
  std::int64_t min, max;
};
struct not_a_range {};
constexpr not_a_range any_text{}, a_thread_policy{};
struct tls_version {};
constexpr tls_version a_tls_version{};

/// `--name` must refuse values just outside [min, max], naming itself and its range.
void check_bounds(const char* name, in_range range) {
  for (auto value : {range.min - 1, range.max + 1}) {
    system_config cfg;
    auto arg = std::string{"--"} + name + "=" + std::to_string(value);
    auto r = parse(cfg, {arg});
    INFO(arg);
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error
          == std::string{"--"} + name + " must be from " + std::to_string(range.min) + " to "
            + std::to_string(range.max) + ", got " + std::to_string(value));
  }
}
void check_bounds(const char*, not_a_range) {}
struct on_off {};
constexpr on_off an_on_off{};
struct coding_list {};
constexpr coding_list a_coding_list{};
/// `--name` must refuse anything but on and off, naming itself and the value.
void check_bounds(const char* name, on_off) {
  for (const char* value : {"1", "yes", "ON"}) {
    system_config cfg;
    auto arg = std::string{"--"} + name + "=" + value;
    auto r = parse(cfg, {arg});
    INFO(arg);
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error == std::string{"--"} + name + " must be on or off, got '" + value + "'");
  }
}
/// `--name` must refuse codings we do not make, and a coding named twice.
void check_bounds(const char* name, coding_list) {
  for (const char* value : {"deflate", "gzip,gzip", "identity", "gzip,"}) {
    system_config cfg;
    auto arg = std::string{"--"} + name + "=" + value;
    auto r = parse(cfg, {arg});
    INFO(arg);
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--compress-prefer") == 0);
  }
}
/// `--name` must refuse a TLS version other than 1.2 and 1.3, naming itself and the value.
void check_bounds(const char* name, tls_version) {
  for (const char* value : {"1.1", "1.0", "1.4", "tls1.3"}) {
    system_config cfg;
    auto arg = std::string{"--"} + name + "=" + value;
    auto r = parse(cfg, {arg});
    INFO(arg);
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error == std::string{"--"} + name + " must be 1.2 or 1.3, got '" + value + "'");
  }
}

}  // namespace

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
  auto r = parse(cfg,
                 {"--host=0.0.0.0", "--port=0", "--actor-threads=3", "--io-threads=2",
                  "--request-timeout-ms=1500", "--blocking-threads=5", "--thread-policy=normal"});
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
  GIVEN("a TLS certificate without its key, or a key without its certificate") {
    auto r = parse(cfg, {"--tls-cert=cert.pem"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error == "--tls-cert needs --tls-key (its private key)");
    system_config other;
    r = parse(other, {"--tls-key=key.pem"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error == "--tls-key needs --tls-cert (the certificate it belongs to)");
  }
  GIVEN("a TLS version the server does not offer") {
    auto r = parse(cfg, {"--tls-min-version=1.1"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error == "--tls-min-version must be 1.2 or 1.3, got '1.1'");
  }
  GIVEN("zero I/O threads") {
    auto r = parse(cfg, {"--io-threads=0"});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--io-threads") != std::string::npos);
  }
}

SCENARIO("--help prints every option with its default, taken from server_config", "[options]") {
  auto text = help_text();
  for (const auto& arg : to_arguments(server_config{})) {
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq - 2);
    auto value = arg.substr(eq + 1);
    auto line = line_of(text, name);
    INFO(name);
    REQUIRE_FALSE(line.empty());
    if (value.empty())
      CHECK(line.find("(default") == std::string::npos);
    else
      CHECK(line.find("(default " + value + ")") != std::string::npos);
  }
  CHECK(line_of(text, "port").find("(default 8080)") != std::string::npos);
  CHECK(line_of(text, "access-log").find("(default 1)") != std::string::npos);
  CHECK(line_of(text, "thread-policy").find("(default batch)") != std::string::npos);
}

SCENARIO("every option in the table round-trips through the command line", "[options]") {
  server_config changed;
#define CHANGE(type, field, name, default_value, check, help) change(changed.field, name);
  FASTACTOR_SERVER_OPTIONS(CHANGE)
#undef CHANGE
  changed.tls_min_version = "1.3";  // the other value it may have
  changed.http2 = 0;  // likewise
  system_config cfg;
  auto r = parse(cfg, to_arguments(changed));
  INFO(r.error);
  REQUIRE(r.outcome == parse_outcome::run);
  server_config defaults;
#define SAME(type, field, name, default_value, check, help)                                        \
  {                                                                                                \
    INFO(name);                                                                                    \
    CHECK(cfg.server.field == changed.field);                                                      \
    CHECK_FALSE(defaults.field == changed.field);                                                  \
  }
  FASTACTOR_SERVER_OPTIONS(SAME)
#undef SAME
}

SCENARIO("every bounded option refuses values outside its range with a message naming both",
         "[options]") {
  const server_config cfg;  // bounds that name another option read its default
#define BOUNDS(type, field, name, default_value, check, help) check_bounds(name, check);
  FASTACTOR_SERVER_OPTIONS(BOUNDS)
#undef BOUNDS
  AND_THEN("a bound that is another option's value follows that option") {
    system_config c;
    auto r = parse(c, {"--stream-buffer=2048", "--stream-buffer-max=2047"});
    CHECK(r.error == "--stream-buffer-max must be from 2048 to 17179869184, got 2047");
  }
}

SCENARIO("the writer's limits are the config's values, with no defaults of their own",
         "[options]") {
  server_config cfg;
  response_limits by_default;
  CHECK(by_default.stream_buffer == cfg.stream_buffer);
  CHECK(by_default.stream_buffer_max == cfg.stream_buffer_max);
  CHECK(by_default.request_timeout.count() == cfg.request_timeout_ms);
  CHECK(by_default.sse_heartbeat.count() == cfg.sse_heartbeat_ms);
  CHECK(by_default.access_log == cfg.access_log);
  CHECK(by_default.response_memory_max == cfg.response_memory_max);
  cfg.stream_buffer = 4096;
  cfg.request_timeout_ms = 5;
  cfg.access_log = false;
  response_limits lim{cfg};
  CHECK(lim.stream_buffer == 4096);
  CHECK(lim.request_timeout.count() == 5);
  CHECK_FALSE(lim.access_log);
}

SCENARIO("node TLS takes all three files or none, each readable, named when at fault",
         "[options][tls]") {
  const std::string cert = TEST_CERTS_DIR "/ca/server.pem", key = TEST_CERTS_DIR "/ca/server.key",
                    ca = TEST_CERTS_DIR "/ca/ca.pem";
  system_config cfg;
  GIVEN("only a certificate") {
    auto r = parse(cfg, {"--node-tls-cert=" + cert});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error
          == "node TLS needs --node-tls-cert, --node-tls-key and --node-tls-ca together: "
             "--node-tls-key and --node-tls-ca are missing");
  }
  GIVEN("a certificate and a key but no CA") {
    auto r = parse(cfg, {"--node-tls-cert=" + cert, "--node-tls-key=" + key});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find(": --node-tls-ca is missing") != std::string::npos);
  }
  GIVEN("a key file that does not exist") {
    auto r = parse(
      cfg, {"--node-tls-cert=" + cert, "--node-tls-key=/no/such/node.key", "--node-tls-ca=" + ca});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error
          == "cannot read --node-tls-key file '/no/such/node.key': No such file or directory");
  }
  GIVEN("a CA file that is not a certificate") {
    auto r =
      parse(cfg, {"--node-tls-cert=" + cert, "--node-tls-key=" + key, "--node-tls-ca=" + key});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("--node-tls-ca file '" + key + "' holds no PEM CA certificate") == 0);
  }
  GIVEN("a key of another certificate") {
    auto r = parse(cfg,
                   {"--node-tls-cert=" + cert,
                    "--node-tls-key=" TEST_CERTS_DIR "/other-ca/node.key", "--node-tls-ca=" + ca});
    CHECK(r.outcome == parse_outcome::invalid);
    CHECK(r.error.find("does not match --node-tls-cert file '" + cert + "'") != std::string::npos);
  }
  GIVEN("all three, readable") {
    auto r = parse(cfg,
                   {"--node-tls-cert=" + cert, "--node-tls-key=" + key, "--node-tls-ca=" + ca,
                    "--worker-nodes=127.0.0.1:4242"});
    INFO(r.error);
    CHECK(r.outcome == parse_outcome::run);
    THEN("CAF's OpenSSL module is configured with them") {
      CHECK(cfg.openssl_certificate == cert);
      CHECK(cfg.openssl_key == key);
      CHECK(cfg.openssl_cafile == ca);
    }
  }
}

SCENARIO("who deserializes what worker nodes send is set by --node-basp-workers",
         "[options][remote]") {
  GIVEN("a machine's core count") {
    THEN("below 4 cores CAF's network thread deserializes; from 4, CAF's own default") {
      CHECK(basp_workers_for(1) == 0);
      CHECK(basp_workers_for(2) == 0);
      CHECK(basp_workers_for(3) == 0);
      CHECK(basp_workers_for(4) == 2);
      CHECK(basp_workers_for(8) == 3);
      CHECK(basp_workers_for(64) == 4);
    }
    THEN("the option's -1 is this machine's default, any other value itself") {
      CHECK(basp_workers_option(-1) == default_basp_workers());
      CHECK(basp_workers_option(0) == 0);
      CHECK(basp_workers_option(3) == 3);
    }
  }
  GIVEN("a server with worker nodes") {
    auto workers_after = [](std::vector<std::string> args) {
      system_config cfg;
      args.push_back("--worker-nodes=127.0.0.1:4242");
      auto r = parse(cfg, args);
      INFO(r.error);
      REQUIRE(r.outcome == parse_outcome::run);
      return caf::get_or(cfg, "middleman.workers", std::size_t{999});
    };
    WHEN("the option is left out") {
      THEN("this machine's default goes to CAF") {
        CHECK(workers_after({}) == default_basp_workers());
      }
    }
    WHEN("it is given") {
      THEN("CAF gets it as it is, 0 included") {
        CHECK(workers_after({"--node-basp-workers=0"}) == 0);
        CHECK(workers_after({"--node-basp-workers=2"}) == 2);
      }
    }
  }
}
