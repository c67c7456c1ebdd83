#include <fastactor/node_pool.hpp>

#include "actors/internal_messages.hpp"
#include "actors/node_tls.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace fastactor {

std::vector<node_address> parse_node_list(const std::string& text, std::string& error) {
  std::vector<node_address> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto colon = item.rfind(':');
    long port = -1;
    if (colon != std::string::npos && colon > 0) {
      try {
        std::size_t used = 0;
        port = std::stol(item.substr(colon + 1), &used);
        if (used != item.size() - colon - 1)
          port = -1;
      } catch (const std::exception&) {
        port = -1;
      }
    }
    if (port < 1 || port > 65535) {
      error = "worker node '" + item + "' is not HOST:PORT";
      return {};
    }
    out.push_back({item.substr(0, colon), static_cast<std::uint16_t>(port)});
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

namespace {

/// Can a TCP connection to host:port be opened within `timeout` — and, with node TLS, does
/// the node pass a TLS handshake with this side's files, and let this side pass, within
/// `handshake_timeout` more? Empty if so, else why not. Never blocks longer.
std::string probe(const node_address& at, std::chrono::milliseconds timeout,
                  std::chrono::milliseconds handshake_timeout, const node_tls& tls) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto port = std::to_string(at.port);
  if (getaddrinfo(at.host.c_str(), port.c_str(), &hints, &found) != 0 || !found)
    return "no such host";
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard{found, freeaddrinfo};
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return "socket() failed";
  std::string result;
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    result = std::string{"connect failed: "} + std::strerror(errno);
  } else {
    pollfd p{fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    if (ready == 0)
      result = "no answer within " + std::to_string(timeout.count()) + " ms";
    else if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
      result = std::string{"connect failed: "} + std::strerror(err ? err : errno);
    else if (tls.enabled())
      result =
        detail::tls_handshake_probe(fd, tls, std::chrono::steady_clock::now() + handshake_timeout);
  }
  ::close(fd);
  return result;
}

// Keeps one node connected. A blocking (detached) actor: it may wait in probe() and in
// receive without holding up any other actor.
void connector(caf::blocking_actor* self, node_pool* pool, std::size_t index, node_address at,
               node_pool::timing t) {
  bool running = true;
  // With node TLS, only through CAF's OpenSSL module: never a plain connection to a node.
  auto tls = detail::node_tls_of(self->system());
  auto mm = tls.enabled() ? self->system().openssl_manager().actor_handle()
                          : self->system().middleman().actor_handle();
  while (running) {
    // The handshake gets as long as CAF's own connect would: it is the same work.
    auto failure = probe(at, t.probe_timeout, t.connect_timeout, tls);
    if (failure.empty()) {
      caf::strong_actor_ptr info;
      self->request(mm, t.connect_timeout, caf::connect_atom::value, at.host, at.port)
        .receive(
          [&](const caf::node_id& nid, caf::strong_actor_ptr& published,
              const std::set<std::string>&) {
            info = published;
            if (!info)
              failure = "nothing published on that port";
            else
              pool->mark_up(index, nid);
          },
          [&](caf::error& err) {
            failure = "connect failed: " + self->system().render(err);
            // What a node with node TLS does to a plain server: it never answers in BASP.
            if (!tls.enabled() && err == caf::sec::disconnect_during_handshake)
              failure += " (does the node want node TLS? then give this server --node-tls-cert, "
                         "--node-tls-key and --node-tls-ca too)";
          });
      if (info) {
        // Up: wait until the node goes away (monitor) or we are told to stop.
        self->monitor(info);
        bool down = false;
        while (running && !down)
          self->receive(
            [&](caf::down_msg& msg) {
              down = true;
              failure = "lost: " + self->system().render(msg.reason);
            },
            [&](stop_atom) { running = false; }, [&](caf::exit_msg&) { running = false; });
      }
    }
    if (!running)
      break;
    pool->mark_down(index, failure);
    // Wait before the next attempt, but leave at once when told to stop.
    self->receive([&](stop_atom) { running = false; }, [&](caf::exit_msg&) { running = false; },
                  [&](caf::down_msg&) {}, caf::after(t.retry) >> [] {});
  }
}

}  // namespace

node_pool::node_pool(caf::actor_system& sys, std::vector<node_address> nodes, timing t) {
  for (auto& at : nodes)
    nodes_.push_back({node_status{at, false, 0, "not connected yet"}, {}});
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    connectors_.push_back(
      sys.spawn<caf::detached>(connector, this, i, nodes_[i].status.address, t));
}

node_pool::~node_pool() {
  stop();
}

void node_pool::stop() {
  for (auto& c : connectors_)
    caf::anon_send(c, stop_atom::value);
  // The connectors refer to this object: wait until they are gone.
  for (auto& c : connectors_) {
    caf::scoped_actor waiter{c->home_system()};
    waiter->wait_for(c);
  }
  connectors_.clear();
}

std::optional<node_ref> node_pool::next() {
  std::lock_guard<std::mutex> guard{mtx_};
  for (std::size_t tried = 0; tried < nodes_.size(); ++tried) {
    auto& e = nodes_[next_++ % nodes_.size()];
    if (e.status.up)
      return node_ref{e.status.address.name(), e.id};
  }
  return std::nullopt;
}

std::vector<node_status> node_pool::status() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<node_status> out;
  for (auto& e : nodes_)
    out.push_back(e.status);
  return out;
}

bool node_pool::wait_until_up(std::size_t n, std::chrono::milliseconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t up = 0;
    for (auto& s : status())
      up += s.up ? 1 : 0;
    if (up >= n)
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void node_pool::mark_up(std::size_t index, caf::node_id id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = nodes_[index];
  e.status.up = true;
  ++e.status.connects;
  e.status.last_error.clear();
  e.id = std::move(id);
}

void node_pool::mark_down(std::size_t index, std::string why) {
  std::lock_guard<std::mutex> guard{mtx_};
  nodes_[index].status.up = false;
  nodes_[index].status.last_error = std::move(why);
}

}  // namespace fastactor
