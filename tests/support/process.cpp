#include "support/process.hpp"

#include <csignal>
#include <poll.h>
#include <regex>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace testing {

void child_process::signal(int sig) const {
  if (pid > 0)
    ::kill(pid, sig);
}

int child_process::wait_exit(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  pid = -1;
  return -1;
}

child_process::~child_process() {
  if (pid > 0) {
    ::kill(pid, SIGCONT);
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  if (out >= 0)
    ::close(out);
  if (err >= 0)
    ::close(err);
}

child_process spawn_process(const std::string& path, std::vector<std::string> args) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0)
    throw std::runtime_error("pipe() failed");
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork() failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]);
    close(err[0]);
    std::vector<char*> argv;
    std::string p = path;
    argv.push_back(p.data());
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(p.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  child_process c;
  c.pid = pid;
  c.out = out[0];
  c.err = err[0];
  return c;
}

std::string read_until(int fd, const std::string& stop, std::chrono::milliseconds timeout) {
  std::string text;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (text.find(stop) == std::string::npos && std::chrono::steady_clock::now() < until) {
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

std::uint16_t port_in(const std::string& first_line) {
  std::smatch m;
  static const std::regex re{R"(^listening on [a-z]+://[^ ]+:(\d+)\n)"};
  if (!std::regex_search(first_line, m, re))
    return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

}  // namespace testing
