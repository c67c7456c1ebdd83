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
#include <fastactor/messages.hpp>

#include <caf/atom.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace fastactor {

/// What a write is, for the connection: a part of a response, or its end.
enum class write_kind : std::uint8_t {
  more,  ///< more of this response follows
  last_keep_alive,  ///< the response is complete; read the next request afterwards
  last_close,  ///< the response is complete; close the connection afterwards
};

class connection {
public:
  virtual ~connection() = default;

  /// Writes `parts` in one gathered write. The writer keeps exactly one write in flight.
  /// Returns true if the write is complete already (the socket took every byte at once, as
  /// it does for most responses): then no completion message follows, and the writer
  /// handles the completion itself once its current message is done. Otherwise the
  /// completion arrives as `(write_done_atom, bool ok)`.
  virtual bool write(std::vector<std::string> parts, write_kind kind) = 0;

  /// Closes the socket at once (a cut-off response, a dead client, shutdown).
  virtual void close() = 0;

  /// Arms the connection's one timer for the response under way: `(timer_atom)` reaches the
  /// writer at `due`. Arming again replaces the time. A timer message can arrive late, after
  /// the timer was re-armed or cancelled: the writer looks at the clock itself.
  virtual void set_timer(std::chrono::steady_clock::time_point due) = 0;

  /// Disarms it: the response is complete.
  virtual void cancel_timer() = 0;
};

/// A secret shared by a connection and its writer only. Every message from the connection
/// carries it: workers hold the writer's handle (it travels in every response_handle, to
/// other nodes too), and a message of the connection's they forge — a second write_done
/// while a write is in flight, say — is dropped and counted instead of obeyed.
using connection_key = std::uint64_t;

// Its messages to the writer (request_atom, write_done_atom, closed_atom, timer_atom,
// shutdown_atom) are listed in internal_messages.hpp.

}  // namespace fastactor
