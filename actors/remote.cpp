#include "actors/remote.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

namespace fastactor {

void configure_remote(caf::actor_system_config& cfg, remote_settings settings) {
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{settings.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{settings.timeout});
  cfg.add_message_type<response_handle>("fastactor::response_handle");
  cfg.add_message_type<worker_error>("fastactor::worker_error");
  cfg.add_message_type<sse_event>("fastactor::sse_event");
}

namespace {

/// Never sent: the proxy's behavior needs one handler to keep it alive until its link ends it.
using linger_atom = caf::atom_constant<caf::atom("fa_linger")>;

// The local stand-in of a remote worker: spawns it, links to it, and ends as it ends.
caf::behavior remote_worker_proxy(caf::event_based_actor* self, response_handle out,
                                  node_ref node, std::string type, caf::message args,
                                  std::chrono::milliseconds spawn_timeout) {
  auto source = "node " + node.name;
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // The remote worker ended: normally (done) or not (crashed, node dead or hung).
    if (msg.reason && msg.reason != caf::exit_reason::normal)
      out.fail(self, "remote worker '" + type + "' failed: " + describe(msg.reason), 502, source);
    self->quit();
  });
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, spawn_timeout, caf::spawn_atom::value, node.id, type,
              caf::message::concat(caf::make_message(out), args), std::set<std::string>{})
    .then(
      [=](caf::strong_actor_ptr& worker) {
        if (!worker) {
          out.fail(self, "node could not spawn '" + type + "'", 502, source);
          return self->quit();
        }
        self->link_to(worker);  // the request's end (our exit) stops it; its end reaches us
      },
      [=](caf::error& err) {
        out.fail(self, "remote spawn of '" + type + "' failed: " + describe(err), 502, source);
        self->quit();
      });
  return {[](linger_atom) {}};
}

} // namespace

void spawn_remote_worker(context& ctx, const node_ref& node, std::string type,
                         caf::message args, std::chrono::milliseconds spawn_timeout) {
  ctx.spawn(remote_worker_proxy, node, std::move(type), std::move(args), spawn_timeout);
}

} // namespace fastactor
