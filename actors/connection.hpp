#pragma once
// connection: the socket side of a response writer, as the writer sees it.
//
// The server's session implements it (server/session.hpp) on top of Asio; the writer only
// ever calls these functions, so it never touches Asio itself and never blocks. The writer
// runs on the connection's executor, so the session dispatches each call there: the work
// starts inline, without a queue hop (a call from any other thread would be posted). Every
// call returns at once; completions come back to the writer as messages (see "Messages from
// the connection" below), except a write's that completed at once (see `write`).

#include "actors/internal_messages.hpp"
#include "protocol/outgoing.hpp"
#include <fastactor/handler.hpp>
#include <fastactor/messages.hpp>

#include <caf/atom.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fastactor {

/// What a write is, for the connection: a part of a response, or its end.
enum class write_kind : std::uint8_t {
  more,  ///< more of this response follows
  last_keep_alive,  ///< the response is complete; read the next request afterwards
  last_close,  ///< the response is complete; close the connection afterwards
};

/// Which of the connection's exchanges a write or a message is about. An HTTP/1.1 connection
/// has one exchange at a time, always channel 0; an HTTP/2 connection has one per stream, and
/// the channel is the stream's identifier.
using channel_id = std::uint32_t;

class connection {
public:
  virtual ~connection() = default;

  /// Writes `out` on channel `ch`, as one gathered write. The writer keeps at most one write
  /// in flight per channel. Returns true if the write is complete already (the socket took
  /// every byte at once, as it does for most HTTP/1.1 responses): then no completion message
  /// follows, and the writer handles the completion itself once its current message is done.
  /// Otherwise the completion arrives as `(write_done_atom, key, ch, bool ok)`. After a write
  /// whose kind is not `more`, the channel's exchange is over.
  virtual bool write(channel_id ch, outgoing out, write_kind kind) = 0;

  /// Ends channel `ch`'s response at once, without its end, so that the client cannot take
  /// what it got for the whole response (a fatal error after the first byte). HTTP/1.1 closes
  /// the connection (the writer then hears nothing more from it); HTTP/2 resets that stream
  /// only (RST_STREAM INTERNAL_ERROR) and the connection goes on.
  virtual void reset(channel_id ch) = 0;

  /// True if several channels may be active at once (HTTP/2).
  virtual bool multiplexed() const = 0;

  /// Closes the socket at once (a dead client, shutdown).
  virtual void close() = 0;

  /// Arms the connection's one timer: `(timer_atom)` reaches the writer at `due`. Arming
  /// again replaces the time. A timer message can arrive late, after the timer was re-armed
  /// or cancelled: the writer looks at the clock itself.
  virtual void set_timer(std::chrono::steady_clock::time_point due) = 0;

  /// Disarms it: no response under way needs it.
  virtual void cancel_timer() = 0;
  /// Hands back the request of channel `ch`'s exchange, which has ended: the writer is done
  /// with it. Unless something else still holds it, the connection may let it carry its next
  /// request (server/request_reuse.hpp). By default it is freed.
  virtual void request_done(channel_id ch, std::shared_ptr<routed_request> in) {
    (void)ch;
    (void)in;
  }
};

/// A secret shared by a connection and its writer only. Every message from the connection
/// carries it: workers hold the writer's handle (it travels in every response_handle, to
/// other nodes too), and a message of the connection's they forge — a second write_done
/// while a write is in flight, say — is dropped and counted instead of obeyed.
using connection_key = std::uint64_t;

// Its messages to the writer (request_atom, write_done_atom, reset_atom, closed_atom,
// timer_atom, shutdown_atom) are listed in internal_messages.hpp.

}  // namespace fastactor
