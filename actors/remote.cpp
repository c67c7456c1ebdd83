#include <fastactor/remote.hpp>

#include <fastactor/errors.hpp>

#include "actors/internal_messages.hpp"
#include "actors/node_tls.hpp"
#include "actors/remote_worker_host.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace fastactor {

std::size_t basp_workers_for(unsigned cores) {
  if (cores < 4)
    return 0;
  return std::min(3u, cores / 4u) + 1;  // CAF 0.17's own default (caf::defaults::middleman)
}

std::size_t default_basp_workers() {
  return basp_workers_for(std::thread::hardware_concurrency());
}

std::size_t basp_workers_option(std::int64_t value) {
  return value < 0 ? default_basp_workers() : static_cast<std::size_t>(value);
}

void configure_remote(caf::actor_system_config& cfg, remote_settings settings) {
  // Never half-configured: an unusable TLS setting must not leave a plain link behind.
  if (auto error = check_node_tls(settings.tls); !error.empty())
    throw std::invalid_argument(error);
  cfg.load<caf::io::middleman>();
  detail::configure_tls(cfg, settings.tls);  // after the middleman: the module needs it
  cfg.set("middleman.heartbeat-interval", caf::timespan{settings.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{settings.timeout});
  cfg.set("middleman.workers", settings.basp_workers);
  cfg.add_message_type<response_handle>("fastactor::response_handle");
  cfg.add_message_type<worker_error>("fastactor::worker_error");
  cfg.add_message_type<sse_event>("fastactor::sse_event");
  detail::register_remote_worker_host(cfg);
}

namespace {

/// Stops `host` with `kill`: the one reason neither it nor its worker's exit handler can
/// refuse (the host's link passes it on to the worker).
void kill(const caf::strong_actor_ptr& host) {
  caf::anon_send_exit(host, caf::exit_reason::kill);
}

/// The proxy owns the worker's `host` from now on. It monitors the host (never a remote link:
/// remote_worker_host.hpp says why), which ends as the worker ends; whatever stops the proxy
/// other than that end kills the host and with it the worker — a kill of the proxy runs no
/// handler, so this hangs on the proxy's termination itself. If the proxy vanishes without a
/// word (this process died, the link broke), the host sees its monitor fire and stops the
/// worker itself.
void adopt(caf::event_based_actor* self, const caf::strong_actor_ptr& host, response_handle out,
           const std::string& type, const std::string& source) {
  auto handle = caf::actor_cast<caf::actor>(host);
  self->monitor(handle);
  self->send(handle, watching_atom::value);
  self->attach_functor([host](const caf::error& reason) {
    if (reason)  // only the worker's own end (below) or a failed spawn ends the proxy normally
      kill(host);
  });
  auto addr = handle.address();
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.source != addr)
      return;
    if (is(msg.reason, errc::no_worker_type))  // the host found no such type to spawn
      out.fail(self, "the node has no worker type '" + type + "' (add_actor_type there)",
               status::bad_gateway, source);
    else if (msg.reason)  // crashed, could not be spawned, or its node died or hung
      out.fail(self, "remote worker '" + type + "' failed: " + describe(msg.reason),
               status::bad_gateway, source);
    self->quit();
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason)  // the request ended: as CAF's default, a normal exit is no stop
      self->quit(std::move(msg.reason));
  });
}

/// Asks the node for the worker's host (remote_worker_host.hpp) on the proxy's behalf. It
/// lives apart from the proxy so that a spawn completing after the request ended (the proxy is
/// gone) still meets someone who kills the new worker. It waits twice the spawn timeout: the
/// proxy gives up after one, and a worker arriving in the second is killed too instead of left
/// behind on the node (later still, the host finds its owner gone and stops it).
void remote_spawner(caf::event_based_actor* self, caf::actor proxy, caf::node_id node,
                    std::string type, caf::message args, std::chrono::milliseconds spawn_timeout) {
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, 2 * spawn_timeout, caf::spawn_atom::value, node,
              std::string{detail::remote_worker_host_type}, caf::make_message(proxy, type, args),
              std::set<std::string>{})
    .then(
      [=](caf::strong_actor_ptr& host) {
        if (!host)
          return self->send(proxy, spawn_failed_atom::value, "node could not spawn '" + type + "'");
        // A proxy already gone bounces this request at once (request_receiver_down).
        self->request(proxy, spawn_timeout, adopt_atom::value, host)
          .then([](adopt_atom) {}, [host](caf::error&) { kill(host); });
      },
      [=](caf::error& err) {
        if (err == caf::sec::unknown_type)  // a node without this fastactor's configure_remote
          return self->send(proxy, spawn_failed_atom::value,
                            std::string{"the node cannot host workers (no '"}
                              + detail::remote_worker_host_type
                              + "': build it with this fastactor and call configure_remote)");
        self->send(proxy, spawn_failed_atom::value,
                   "remote spawn of '" + type + "' failed: " + describe(err));
      });
}

// The local stand-in of a remote worker: a worker of the request like any other, which ends
// as the remote one ends and stops it when the request stops the proxy (kill or any other
// non-normal reason).
caf::behavior remote_worker_proxy(caf::event_based_actor* self, response_handle out, node_ref node,
                                  std::string type, caf::message args,
                                  std::chrono::milliseconds spawn_timeout) {
  auto source = "node " + node.name;
  self->spawn(remote_spawner, caf::actor_cast<caf::actor>(self), node.id, type,
              caf::message::concat(caf::make_message(out), args), spawn_timeout);
  self->delayed_send(self, spawn_timeout, give_up_atom::value);
  auto fail = [=](std::string what) {
    out.fail(self, std::move(what), status::bad_gateway, source);
    self->quit();
  };
  return {
    [=](adopt_atom a, caf::strong_actor_ptr& host) {
      adopt(self, host, out, type, source);
      // Running: only the worker's end or the request's end stop it now; a late timer is moot.
      self->become([](give_up_atom) {}, [](lease_atom l) { return l; });
      return a;
    },
    [](lease_atom l) { return l; },  // the host's "still there?" (remote_worker_host.hpp)
    [=](spawn_failed_atom, std::string& what) { fail(std::move(what)); },
    [=](give_up_atom) {
      fail("remote spawn of '" + type + "' timed out after " + std::to_string(spawn_timeout.count())
           + " ms");
    },
  };
}

}  // namespace

caf::actor spawn_remote_worker(context& ctx, const node_ref& node, std::string type,
                               caf::message args, std::chrono::milliseconds spawn_timeout) {
  return ctx.spawn(remote_worker_proxy, node, std::move(type), std::move(args), spawn_timeout);
}

}  // namespace fastactor
