#pragma once
// Child processes for tests: the demo server and worker nodes, run as a user runs them.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace testing {

struct child_process {
  child_process() = default;
  child_process(child_process&& other) noexcept
    : pid(std::exchange(other.pid, -1)), out(std::exchange(other.out, -1)),
      err(std::exchange(other.err, -1)) {}
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid = -1;
  int out = -1;  ///< the child's stdout
  int err = -1;  ///< the child's stderr

  /// Sends `sig` (SIGTERM, SIGKILL, SIGSTOP, SIGCONT, ...).
  void signal(int sig) const;
  /// Waits for the exit; the exit code, 128+signal, or -1 if it did not end within
  /// `timeout` (it is then killed).
  int wait_exit(std::chrono::milliseconds timeout);
  /// Kills it (if still running) and closes the pipes.
  ~child_process();
};

/// Starts `path args...` with stdout and stderr on pipes.
child_process spawn_process(const std::string& path, std::vector<std::string> args);

/// Reads from `fd` until `stop` was seen or `timeout` passed; returns what was read.
std::string read_until(int fd, const std::string& stop, std::chrono::milliseconds timeout);

/// The port in a first line such as "listening on http://127.0.0.1:8080"; 0 if none.
std::uint16_t port_in(const std::string& first_line);

}  // namespace testing
