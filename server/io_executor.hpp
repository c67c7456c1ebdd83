#pragma once
// io_executor: the executor every connection's I/O objects use — an I/O thread's own
// io_context, named by its concrete type.
//
// Each I/O thread runs an io_context of its own (server.cpp), and a connection lives on one of
// them for its whole life, so that context alone orders the connection's handlers: no strand
// is needed, with one I/O thread or many. That is what lets the socket and the timer name the
// executor's type instead of Asio's default, the polymorphic any_io_executor:
//
// - the socket and the timer are 48 bytes smaller each (an 8-byte executor in place of a
//   56-byte one);
// - a pending operation (a connection's watch, its timer's wait) tracks no work of its own:
//   Asio's handler_work is empty for an io_context's executor, and holds a 56-byte copy of an
//   any_io_executor otherwise;
// - a completion is invoked directly, not through the polymorphic executor's dispatch.
//
// A paced stream keeps its socket, its timer and both operations for its whole life: ~200
// bytes of its ~5 KiB (docs/benchmarks.md, "One io_context per I/O thread").

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>

namespace fastactor {

using io_executor = boost::asio::io_context::executor_type;

/// A connection's socket, on its I/O thread's io_context.
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, io_executor>;

/// A connection's timer, on the same io_context as its socket.
using io_timer = boost::asio::basic_waitable_timer<
  std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, io_executor>;

}  // namespace fastactor
