#pragma once
// bind_self: a completion handler that calls a member function of a shared object, keeping the
// object alive until it runs — the one helper for the `[self = shared_from_this()] {...}`
// lambdas of the session and the listener:
//
//   timer_.async_wait(bind_self(&session::on_timer, shared_from_this()));
//   asio::dispatch(ex, bind_self(&session::do_write, shared_from_this(), std::move(parts)));
//
// Why not Beast's bind_front_handler: Beast specializes Asio's associated_executor for its
// wrapper, so Asio must treat every such handler as having an executor of its own: each
// dispatch and post goes through a work_dispatcher and each operation tracks work on two
// executors (copies of any_io_executor, atomic work counts). Measured on /hello: ~10 % more
// CPU per request. A plain lambda, as this makes, has no associated executor and runs on the
// I/O object's.

#include <memory>
#include <tuple>
#include <utility>

namespace fastactor {

/// `fn(*self, bound..., args...)` as a move-only completion handler; the bound values are
/// moved into the call (the handler runs once).
template <class T, class Fn, class... Bound>
auto bind_self(Fn T::*fn, std::shared_ptr<T> self, Bound... bound) {
  return [fn, self = std::move(self),
          bound = std::make_tuple(std::move(bound)...)](auto&&... args) mutable {
    std::apply(
      [&](auto&... b) { ((*self).*fn)(std::move(b)..., std::forward<decltype(args)>(args)...); },
      bound);
  };
}

}  // namespace fastactor
