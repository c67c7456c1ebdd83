#pragma once
// response_handle: what a producer holds to write into one request's response.
//
// It names the request's writer actor and the request's stream id; it is a small value,
// cheap to copy, safe to use from any thread or actor, and it can travel to another node
// (it has an `inspect` overload). Writing never blocks and never takes a lock: it sends a
// message to the writer, whose mailbox serializes all producers.

#include <fastactor/detail/handoff.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/sse.hpp>

#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/send.hpp>

#include <string>
#include <utility>

namespace fastactor {

/// What a producer writes through: the request's writer and its stream id. A value, cheap to
/// copy, serializable (it travels to worker nodes); every message it sends is tagged with the
/// stream id, so a message of an ended request is dropped, never mixed into the next response.
class response_handle {
public:
  /// A handle to nothing (false in a boolean context).
  response_handle() = default;
  /// The handle of request `id` answered by `writer` (context::output() makes it).
  response_handle(caf::actor writer, stream_id id) : writer_(std::move(writer)), id_(id) {}
  /// The same, with the key that lets its holder finish the response (context::subscribe).
  response_handle(caf::actor writer, stream_id id, std::uint64_t finish_key)
    : writer_(std::move(writer)), id_(id), finish_key_(finish_key) {}

  /// The writer actor.
  const caf::actor& writer() const { return writer_; }
  /// The request's stream id.
  stream_id id() const { return id_; }
  /// True for a handle to a writer.
  explicit operator bool() const { return static_cast<bool>(writer_); }

  // -- from any thread (no sender) ---------------------------------------------------------

  /// Appends `bytes` to the response. Fire and forget: no flow control.
  void write(std::string bytes) const {
    detail::handoff_release(writer_);
    caf::anon_send(writer_, chunk_atom::value, id_, std::move(bytes));
  }

  /// Records an error for this response; the response goes on.
  void fail(std::string message, status code = status::internal_server_error,
            std::string source = "worker") const {
    detail::handoff_release(writer_);
    caf::anon_send(writer_, fail_atom::value, id_,
                   worker_error{std::move(source), std::move(message), code});
  }

  /// Sends a Server-Sent Event (the response must be an SSE stream: context::begin_sse).
  void send_event(sse_event ev) const {
    detail::handoff_release(writer_);
    caf::anon_send(writer_, event_atom::value, id_, std::move(ev));
  }

  // -- from inside an actor (messages carry the sender) -----------------------------------

  /// A Server-Sent Event (see context::begin_sse); no flow control.
  template <class Self>
  void send_event(Self* self, sse_event ev) const {
    detail::handoff_release(writer_);
    self->send(writer_, event_atom::value, id_, std::move(ev));
  }

  /// A Server-Sent Event with flow control, as write_acked.
  template <class Self>
  auto send_event_acked(Self* self, sse_event ev) const {
    detail::handoff_release(writer_);
    return self->request(writer_, caf::infinite, event_atom::value, id_, std::move(ev));
  }

  /// Appends `bytes` to the response; no flow control (see write_acked).
  template <class Self>
  void write(Self* self, std::string bytes) const {
    detail::handoff_release(writer_);
    self->send(writer_, chunk_atom::value, id_, std::move(bytes));
  }

  /// Records an error of the response from `source`; the response goes on.
  template <class Self>
  void fail(Self* self, std::string message, status code = status::internal_server_error,
            std::string source = "worker") const {
    detail::handoff_release(writer_);
    self->send(writer_, fail_atom::value, id_,
               worker_error{std::move(source), std::move(message), code});
  }

  /// Appends `bytes` with flow control: the returned handle's `.then([](ack_atom) {...})`
  /// runs once the writer's queue is below its high-water mark. Keep a few writes in flight
  /// (a window) for throughput; a slow client then slows the producer instead of growing
  /// the server's memory. If the request ends first, the error handler (or, without one,
  /// the actor's exit) runs instead. A buffered response (context::buffer_response) holds
  /// everything until it is complete, so there every write is acknowledged at once and only
  /// stream-buffer-max bounds it.
  template <class Self>
  auto write_acked(Self* self, std::string bytes) const {
    detail::handoff_release(writer_);
    return self->request(writer_, caf::infinite, write_atom::value, id_, std::move(bytes));
  }

  /// A shared producer is done with this response: once nothing else produces for it, the
  /// response completes. Only with the handle context::subscribe returned (it carries the
  /// subscription's key; output()'s does not), and from inside the subscribed producer (the
  /// writer checks both); anything else is dropped and counted as forged.
  template <class Self>
  void finish(Self* self) const {
    detail::handoff_release(writer_);
    self->send(writer_, finish_atom::value, id_, finish_key_);
  }

  /// The same response: the same writer and stream id (whether or not a handle carries the
  /// finish key).
  friend bool operator==(const response_handle& x, const response_handle& y) {
    return x.id_ == y.id_ && x.writer_ == y.writer_;
  }
  /// Not the same response.
  friend bool operator!=(const response_handle& x, const response_handle& y) { return !(x == y); }

  /// Lets CAF serialize the handle (to spawn workers on other nodes).
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, response_handle& x) {
    return f(caf::meta::type_name("fastactor::response_handle"), x.writer_, x.id_, x.finish_key_);
  }

private:
  caf::actor writer_;
  stream_id id_ = 0;
  std::uint64_t finish_key_ = 0;  ///< 0: this handle cannot finish the response
};

}  // namespace fastactor
