#include "actors/remote_worker_host.hpp"

#include "actors/internal_messages.hpp"

#include <caf/all.hpp>

namespace fastactor::detail {

remote_worker_host::remote_worker_host(caf::actor_config& cfg, const caf::actor& owner,
                                       const std::string& type, const caf::message& args)
  : caf::event_based_actor(cfg), owner_(owner) {
  auto worker = home_system().spawn<caf::actor>(type, args);
  if (worker)
    worker_ = std::move(*worker);
  else
    ended_ = std::move(worker.error());
}

caf::behavior remote_worker_host::make_behavior() {
  set_default_handler(caf::drop);  // a peer's stray messages: nothing to print, nothing to keep
  if (!owner_) {  // nobody to report to: a spawn without an owner is nobody's worker
    quit(caf::sec::invalid_argument);
    return {};
  }
  monitor(owner_);
  set_down_handler([this](caf::down_msg& msg) {
    if (msg.source == owner_.address())  // the owner let go: nobody will stop the worker now
      quit(msg.reason ? std::move(msg.reason) : caf::error{caf::exit_reason::user_shutdown});
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
  return {
    [this](watching_atom) {
      if (current_sender() != caf::actor_cast<caf::strong_actor_ptr>(owner_))
        return;
      watched_ = true;
      if (ended_)
        quit(*ended_);
    },
  };
}

void remote_worker_host::worker_ended(caf::error reason) {
  ended_ = std::move(reason);
  if (watched_)
    quit(*ended_);
}

void register_remote_worker_host(caf::actor_system_config& cfg) {
  cfg
    .add_actor_type<remote_worker_host, const caf::actor&, const std::string&, const caf::message&>(
      remote_worker_host_type);
}

}  // namespace fastactor::detail
