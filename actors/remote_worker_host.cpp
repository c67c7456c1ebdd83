#include "actors/remote_worker_host.hpp"

#include "actors/internal_messages.hpp"

#include <fastactor/errors.hpp>

#include <caf/all.hpp>

namespace fastactor::detail {

namespace {

/// Why a host refuses to spawn anything: only a server's proxy may own a worker here, and a
/// host never hosts a host (a peer could nest them as deep as its message goes). Empty: fine.
caf::error refusal(const caf::actor& owner, const std::string& type, caf::actor_system& sys) {
  if (!owner || owner.node() == sys.node() || type == remote_worker_host_type)
    return caf::sec::invalid_argument;
  return {};
}

}  // namespace

remote_worker_host::remote_worker_host(caf::actor_config& cfg, const caf::actor& owner,
                                       const std::string& type, const caf::message& args)
  : caf::event_based_actor(cfg), owner_(owner) {
  if (auto refused = refusal(owner, type, home_system())) {
    ended_ = std::move(refused);
    owner_ = nullptr;
    return;
  }
  auto worker = home_system().spawn<caf::actor>(type, args);
  if (worker)
    worker_ = std::move(*worker);
  else if (worker.error() == caf::sec::unknown_type)
    // Our own reason: a worker may end with sec::unknown_type itself (a message it could not
    // deserialize, a spawn of its own), and that is its failure, not a missing type.
    ended_ = make_error(errc::no_worker_type);
  else
    ended_ = std::move(worker.error());
}

caf::behavior remote_worker_host::make_behavior() {
  set_default_handler(caf::drop);  // a peer's stray messages: nothing to print, nothing to keep
  if (!owner_) {
    quit(*ended_);
    return {};
  }
  monitor(owner_);
  set_down_handler([this](caf::down_msg& msg) {
    if (msg.source == owner_.address())
      owner_lost(msg.reason ? std::move(msg.reason) : caf::error{caf::exit_reason::user_shutdown});
  });
  if (worker_) {
    link_to(worker_);  // local: ended or not, CAF answers at once with an exit
    set_exit_handler([this](caf::exit_msg& msg) {
      if (msg.source == worker_.address())
        worker_ended(std::move(msg.reason));
      else if (msg.reason)
        quit(std::move(msg.reason));
    });
  }
  delayed_send(this, lease_interval, lease_atom::value);
  return {
    [this](watching_atom) {
      if (current_sender() != caf::actor_cast<caf::strong_actor_ptr>(owner_))
        return;
      watched_ = true;
      if (ended_)
        quit(*ended_);
    },
    [this](lease_atom) {
      if (current_sender() != ctrl())
        return;  // only its own timer renews the lease
      renew_lease();
    },
  };
}

void remote_worker_host::renew_lease() {
  if (ended_) {  // the worker is done and nobody came to watch within a lease: leave
    quit(*ended_);
    return;
  }
  request(owner_, lease_timeout, lease_atom::value)
    .then([this](lease_atom) { delayed_send(this, lease_interval, lease_atom::value); },
          [this](caf::error& err) { owner_lost(std::move(err)); });
}

void remote_worker_host::worker_ended(caf::error reason) {
  ended_ = std::move(reason);
  if (watched_)
    quit(*ended_);
}

void remote_worker_host::owner_lost(caf::error reason) {
  // Nobody will stop the worker now but this host: kill, which its exit handler cannot refuse.
  if (worker_ && !ended_)
    send_exit(worker_, caf::exit_reason::kill);
  quit(std::move(reason));
}

void register_remote_worker_host(caf::actor_system_config& cfg) {
  cfg
    .add_actor_type<remote_worker_host, const caf::actor&, const std::string&, const caf::message&>(
      remote_worker_host_type);
}

}  // namespace fastactor::detail
