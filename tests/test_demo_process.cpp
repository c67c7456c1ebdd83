// The demo server as a user runs it: a separate process, its first stdout line, --help, bad
// options, and a clean exit on SIGTERM, also in the middle of streams.
#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <regex>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace testing;
using namespace std::chrono_literals;

namespace {

struct child {
  pid_t pid = -1;
  int out = -1;  ///< the child's stdout
  int err = -1;  ///< the child's stderr
};

child spawn_demo(std::vector<std::string> args) {
  int out[2], err[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]);
    close(err[0]);
    std::vector<char*> argv;
    std::string path = DEMO_SERVER_PATH;
    argv.push_back(path.data());
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  return {pid, out[0], err[0]};
}

std::string read_until(int fd, const std::string& stop, std::chrono::milliseconds timeout) {
  std::string text;
  auto until = clock_type::now() + timeout;
  while (text.find(stop) == std::string::npos && clock_type::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0)
      continue;
    char buf[4096];
    auto n = read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

/// Waits for the child to exit; -1 if it did not within `timeout` (it is then killed).
int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto until = clock_type::now() + timeout;
  int status = 0;
  while (clock_type::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::uint16_t port_from(const std::string& first_line) {
  std::smatch m;
  std::regex re{R"(^listening on http://127\.0\.0\.1:(\d+)\n)"};
  REQUIRE(std::regex_search(first_line, m, re));
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

} // namespace

SCENARIO("the demo server announces its real port first and stops cleanly on SIGTERM",
         "[process]") {
  auto c = spawn_demo({"--port=0"});
  auto line = read_until(c.out, "\n", 10s);
  auto port = port_from(line);
  CHECK(port != 0);
  CHECK(http_get(port, "/hello").body == "ok");
  WHEN("SIGTERM arrives while streams are running") {
    http_client a{port}, b{port};
    a.send_get("/stream?n=1000&size=100&interval_ms=50");
    b.send_get("/stream/concurrent");
    a.read_available(200ms);
    kill(c.pid, SIGTERM);
    THEN("it exits 0, promptly") {
      CHECK(wait_exit(c.pid, 10s) == 0);
    }
  }
  close(c.out);
  close(c.err);
}

SCENARIO("the demo server stops on SIGINT too", "[process]") {
  auto c = spawn_demo({"--port=0"});
  port_from(read_until(c.out, "\n", 10s));
  kill(c.pid, SIGINT);
  CHECK(wait_exit(c.pid, 10s) == 0);
  close(c.out);
  close(c.err);
}

SCENARIO("--help lists the options and exits 0; a bad option exits non-zero", "[process]") {
  GIVEN("--help") {
    auto c = spawn_demo({"--help"});
    auto text = read_until(c.out, "--request-timeout-ms", 10s)
                + read_until(c.err, "--request-timeout-ms", 1s);
    CHECK(text.find("--port") != std::string::npos);
    CHECK(text.find("--request-timeout-ms") != std::string::npos);
    CHECK(wait_exit(c.pid, 10s) == 0);
    close(c.out);
    close(c.err);
  }
  GIVEN("a port that is not a number") {
    auto c = spawn_demo({"--port=abc"});
    auto err = read_until(c.err, "\n", 10s);
    CHECK(wait_exit(c.pid, 10s) == 2);
    CHECK(err.find("invalid options") != std::string::npos);
    close(c.out);
    close(c.err);
  }
}
