// libFuzzer target: random sequences of producer and connection messages against ONE response
// writer (actors/response_writer.cpp) on a recording connection — the writer's state machine,
// its request scopes, its flow control and its checks of who may drive it.
//
// Each input is decoded into at most 64 operations: start a request (GET/HEAD, HTTP/1.0/1.1,
// a handler built from a few actions: write, fail, odd statuses and headers, buffer, SSE,
// NDJSON, workers that wait for commands, blocking tasks that wait for commands, throwing
// ones); chunks, acknowledged writes, events, errors and `done`s with the current, a stale or
// a random stream id; commands to the workers and tasks (write, fail, exit with every reason,
// throw); exit messages to workers; forged control messages (a wrong connection key, a forged
// flush, exit messages to the writer); completing the write in flight (ok or failed); timers,
// shutdown and the client going away. The recording connection holds every write until the
// input completes it, and checks on every call:
//  * never two writes in flight, never a write after close, never a write off the I/O thread;
//  * no byte of a response after its last write, until the next request is sent;
//  * no byte of one request in another's response: every byte a producer sends carries a
//    marker `[r<request number>]`, and a write may only carry the current request's;
//  * every complete response is well framed (status line, header lines, Content-Length or
//    chunked body exactly, no body for HEAD/204/304, `Connection: close` only with a last
//    write that closes).
// After each forged message: it was counted (forged_messages_total) and changed nothing; the
// same for an error or an ill-typed message (unexpected_messages_total).
// At the end of each input every producer is told to finish and every write is completed:
// the response must end; then the client goes away, and within a bounded wait the writer,
// its scopes, workers, tasks, held bytes and unanswered acks must all be gone.
// A violated invariant prints what and calls __builtin_trap(), so libFuzzer keeps the input.
#include "actors/response_writer.hpp"
#include "protocol/http1_framer.hpp"
#include "server/strand_execution_unit.hpp"
#include <fastactor/context.hpp>
#include <fastactor/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <caf/all.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace fastactor;
using namespace std::chrono_literals;

// How long the harness waits for what must happen (a worker told to end ends, a command is
// answered, a started task finishes its command). Generous: on a busy machine the CAF
// scheduler and the blocking pool lag by hundreds of milliseconds, and a producer that lands
// after its operation's wait would be blamed on the next one (a forged message "made the
// writer write"). A wait for what may never happen ends as soon as the harness can tell it
// will not (a task queued behind gated ones, or skipped because its request's tasks were
// cancelled).
constexpr auto must_happen = std::chrono::milliseconds{5000};

/// Each runtime's blocking pool: a task starts unless this many gated tasks hold its threads.
constexpr std::size_t pool_threads = 6;

namespace {

using fz_cmd = caf::atom_constant<caf::atom("fz_cmd")>;
using fz_ok = caf::atom_constant<caf::atom("fz_ok")>;
using fz_write = caf::atom_constant<caf::atom("fz_write")>;
using fz_event = caf::atom_constant<caf::atom("fz_event")>;
using forged_flush_atom = caf::atom_constant<caf::atom("fa_flush")>;  // the writer's own

/// What this input did so far (operations and writes): printed with a violation, so that a
/// finding that depends on timing can still be read.
std::mutex log_mtx;
std::vector<std::string> input_log;

[[noreturn]] void violated(const char* what, const std::string& detail = {}) {
  {
    std::lock_guard<std::mutex> g{log_mtx};
    std::fprintf(stderr, "\n*** writer_fuzzer: this input's operations:\n");
    for (auto& line : input_log)
      std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fprintf(stderr, "\n*** writer_fuzzer: invariant violated: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

/// WRITER_FUZZ_TRACE=1: print every operation and every write (to read a crash's input).
bool tracing() {
  static const bool on = std::getenv("WRITER_FUZZ_TRACE") != nullptr;
  return on;
}

template <class... Ts>
void trace(const char* fmt, Ts... xs) {
  char line[1024];
  if constexpr (sizeof...(xs) == 0)
    std::snprintf(line, sizeof(line), "%s", fmt);
  else
    std::snprintf(line, sizeof(line), fmt, xs...);
  if (tracing())
    std::fprintf(stderr, "%s\n", line);
  std::lock_guard<std::mutex> g{log_mtx};
  if (input_log.size() < 400)
    input_log.emplace_back(line);
}

std::string escaped(const std::string& bytes, std::size_t max = 600) {
  std::string out;
  for (auto c : bytes.substr(0, max)) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\0')
      out += "\\0";
    else
      out += c;
  }
  if (bytes.size() > max)
    out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string marker(int req_no) {
  return "[r" + std::to_string(req_no) + "]";
}

/// Request number used for bytes sent with a stream id no request of this input had.
constexpr int foreign_req = 9999;

// -- the process-wide environment ------------------------------------------------------------

struct fuzz_config : system_config {
  fuzz_config() { set("scheduler.max-threads", std::int64_t{2}); }
};

response_limits default_limits() {
  server_config quiet;
  quiet.access_log = false;  // a line per fuzzed request would drown the fuzzer's own output
  return response_limits{quiet};
}

/// Small limits: backpressure, overflow, deadline and heartbeat paths within a few ops.
response_limits tight_limits() {
  auto l = default_limits();
  l.stream_buffer = 64;
  l.stream_buffer_max = 512;
  l.request_timeout = 15ms;
  l.sse_heartbeat = 5ms;
  l.response_memory_max = 1024;
  return l;
}

/// Small budget for the whole server, larger per response: producers that ignore flow control
/// fail on response-memory-max (503) before stream-buffer-max.
response_limits tight_memory_limits() {
  auto l = tight_limits();
  l.stream_buffer_max = 4096;
  l.response_memory_max = 300;
  l.request_timeout = 0ms;  // no deadline
  return l;
}

struct environment {
  fuzz_config cfg;
  caf::actor_system sys{cfg};
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread io_thread{[this] { ioc.run(); }};
  std::shared_ptr<runtime> rts[3] = {
    std::make_shared<runtime>(default_limits(), pool_threads, "fastactor"),
    std::make_shared<runtime>(tight_limits(), pool_threads, "fastactor"),
    std::make_shared<runtime>(tight_memory_limits(), pool_threads, "fastactor")};

  environment() {
    for (auto& rt : rts)
      rt->ids.use_blocks_of(1);  // so that pick_id can predict the next request's id
  }
};

/// Never destroyed: libFuzzer ends the process with exit(), and a joinable thread or an
/// actor system waiting for its actors must not run their destructors then.
environment& env() {
  static environment* e = new environment;
  return *e;
}

// -- per-input state shared with handlers, workers and tasks --------------------------------

enum task_cmd : int { t_write, t_acked, t_fail, t_throw, t_return, t_count };

struct task_slot {
  int req_no = 0;
  bool throw_at_start = false;
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::pair<int, std::string>> cmds;
  bool started = false;
  bool finished = false;
  /// The pool has dropped the task's job: whatever it sends (its failure, its `done`) is sent.
  /// Set whether the task ran or was skipped (its request had ended).
  bool released = false;
  bool release = false;
  bool in_acked = false;  ///< blocked in write_acked until the writer acknowledges
  int executed = 0;
};

struct worker_rec {
  caf::actor handle;
  int req_no;
  bool ends_by_itself;
  bool stubborn;  ///< ignores exit messages other than kill
  bool known_dead = false;
};

struct input_state {
  std::mutex m;
  std::map<int, stream_id> ids;  ///< request number -> stream id (set by the handler)
  std::vector<worker_rec> workers;
  std::vector<std::shared_ptr<task_slot>> tasks;
  bool forged_handler_ran = false;
};

// -- the recording connection ----------------------------------------------------------------

struct response_check {
  unsigned version = 11;
  bool head = false;
};

/// Parses `s` as one complete HTTP/1.1 response and checks its framing.
void validate_response(const std::string& s, write_kind kind, response_check rq) {
  auto fail = [&](const char* what) {
    violated(what, "response (" + std::to_string(s.size()) + " bytes):\n" + s.substr(0, 4096));
  };
  auto hend = s.find("\r\n\r\n");
  if (hend == std::string::npos)
    fail("response without a complete head");
  if (s.compare(0, 9, "HTTP/1.1 ") != 0 || s.size() < 13 || s[12] != ' ')
    fail("bad status line");
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (s[i] < '0' || s[i] > '9')
      fail("bad status code");
    status = status * 10 + (s[i] - '0');
  }
  if (status < 200 || status > 599)
    fail("status outside 200-599");
  auto token_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
      || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
  };
  auto check_field = [&](std::string_view line, std::string& lname, std::string& value) {
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
      fail("header line without a field name");
    for (auto c : line.substr(0, colon))
      if (!token_char(c))
        fail("field name is not a token");
    for (auto c : line)
      if (c == '\r' || c == '\n' || c == '\0')
        fail("CR, LF or NUL inside a field line");
    lname.clear();
    for (auto c : line.substr(0, colon))
      lname += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    auto v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
      v.remove_prefix(1);
    value = std::string{v};
  };
  int cl_count = 0, te_count = 0;
  bool conn_close = false;
  std::size_t content_length = 0;
  std::size_t pos = s.find("\r\n") + 2;
  while (pos < hend + 2) {
    auto eol = s.find("\r\n", pos);
    std::string lname, value;
    check_field(std::string_view{s}.substr(pos, eol - pos), lname, value);
    if (lname == "content-length") {
      ++cl_count;
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        fail("bad Content-Length");
      content_length = std::stoull(value);
    } else if (lname == "transfer-encoding") {
      ++te_count;
      if (value != "chunked")
        fail("Transfer-Encoding other than chunked");
    } else if (lname == "connection" && value == "close") {
      conn_close = true;
    }
    pos = eol + 2;
  }
  if (cl_count > 1 || te_count > 1 || (cl_count && te_count))
    fail("conflicting framing fields");
  if (conn_close && kind != write_kind::last_close)
    fail("`Connection: close` but the last write keeps the connection");
  if (status == 204 && (cl_count || te_count))
    fail("204 with framing fields");
  if (status == 304 && te_count)
    fail("304 with Transfer-Encoding");
  if (te_count && rq.version == 10)
    fail("chunked coding to an HTTP/1.0 client");
  std::string_view body = std::string_view{s}.substr(hend + 4);
  if (rq.head || status == 204 || status == 304) {
    if (!body.empty())
      fail("a body after a head that must not have one (HEAD, 204, 304)");
    return;
  }
  if (cl_count) {
    if (body.size() != content_length)
      fail("body length differs from Content-Length");
    return;
  }
  if (!te_count) {  // delimited by the end of the connection
    if (kind != write_kind::last_close || rq.version != 10)
      fail("body without length or chunked coding, and the connection is kept");
    return;
  }
  std::size_t p = 0;
  for (;;) {
    auto eol = body.find("\r\n", p);
    if (eol == std::string_view::npos || eol == p)
      fail("chunk size line missing");
    std::size_t size = 0;
    for (auto i = p; i < eol; ++i) {
      auto c = body[i];
      int d = c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f'     ? c - 'a' + 10
        : c >= 'A' && c <= 'F'     ? c - 'A' + 10
                                   : -1;
      if (d < 0 || size > (std::size_t{1} << 40))
        fail("bad chunk size line");
      size = size * 16 + static_cast<std::size_t>(d);
    }
    p = eol + 2;
    if (size == 0)
      break;
    if (body.size() < p + size + 2 || body.substr(p + size, 2) != "\r\n")
      fail("chunk data not followed by CRLF");
    p += size + 2;
  }
  for (;;) {  // trailer section
    auto eol = body.find("\r\n", p);
    if (eol == std::string_view::npos)
      fail("unterminated trailer section");
    if (eol == p) {
      p += 2;
      break;
    }
    std::string lname, value;
    check_field(body.substr(p, eol - p), lname, value);
    p = eol + 2;
  }
  if (p != body.size())
    fail("bytes after the last chunk");
}

class recording_connection : public connection {
public:
  explicit recording_connection(environment& e)
    : io_id_(e.io_thread.get_id()), strand(e.ioc.get_executor()),
      home(std::make_shared<strand_execution_unit>(e.sys)) {}

  bool write(channel_id, outgoing out, write_kind kind) override {
    on_io_thread("write");
    std::string joined;
    for (auto& p : framer.frame(std::move(out)))
      joined += p;
    std::lock_guard<std::mutex> guard{mtx};
    if (closed)
      violated("write after the connection was closed");
    if (outstanding)
      violated("a second write while one is in flight");
    if (!req_active || last_seen)
      violated("bytes after the end of a response, before the next request",
               "request " + std::to_string(current_req) + ", write:\n" + joined.substr(0, 2048));
    check_markers(joined);
    trace("  conn: write kind=%d %s", static_cast<int>(kind), escaped(joined).c_str());
    response += joined;
    outstanding = true;
    ++writes;
    if (kind != write_kind::more) {
      last_seen = true;
      last_kind = kind;
      validate_response(response, kind, check);
    }
    if (!at_once)
      return false;
    // As a socket that takes every byte at once: the writer completes the write itself.
    trace("  conn: write completed at once");
    outstanding = false;
    if (last_seen)
      req_active = false;
    return true;
  }

  void reset(channel_id) override { close(); }
  bool multiplexed() const override { return false; }

  void close() override {
    on_io_thread("close");
    std::lock_guard<std::mutex> guard{mtx};
    trace("  conn: close");
    closed = true;
  }

  void set_timer(std::chrono::steady_clock::time_point due) override {
    on_io_thread("set_timer");
    std::lock_guard<std::mutex> guard{mtx};
    timer_armed = true;
    timer_due = due;
    trace("  conn: set_timer in %lld us",
          static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   due - std::chrono::steady_clock::now())
                                   .count()));
  }

  void cancel_timer() override {
    on_io_thread("cancel_timer");
    std::lock_guard<std::mutex> guard{mtx};
    timer_armed = false;
    trace("  conn: cancel_timer");
  }

  void check_markers(const std::string& bytes) const {
    for (auto at = bytes.find("[r"); at != std::string::npos; at = bytes.find("[r", at + 2)) {
      auto end = bytes.find(']', at + 2);
      if (end == std::string::npos || end == at + 2
          || bytes.find_first_not_of("0123456789", at + 2) != end)
        continue;
      auto n = std::stoi(bytes.substr(at + 2, end - at - 2));
      if (n != current_req)
        violated("a byte of another request in this response",
                 "answering request " + std::to_string(current_req) + ", found "
                   + bytes.substr(at, end - at + 1) + " in:\n" + bytes.substr(0, 4096));
    }
  }

  void on_io_thread(const char* what) const {
    if (std::this_thread::get_id() != io_id_)
      violated("the writer called its connection off the connection's thread", what);
  }

  const std::thread::id io_id_;
  io_executor strand;  ///< the I/O thread's io_context, as a session's
  http1_framer framer;  // on the I/O thread only
  std::shared_ptr<strand_execution_unit> home;  // the writer runs here

  // Guarded by mtx.
  std::mutex mtx;
  bool outstanding = false;
  bool at_once = false;  ///< writes of the current request complete at once
  bool closed = false;
  int current_req = 0;  ///< the request being answered (last one sent)
  bool req_active = false;  ///< sent, and its last write not yet completed
  bool last_seen = false;  ///< its last write was made
  write_kind last_kind = write_kind::more;
  response_check check;
  std::string response;  ///< every byte of the current response so far
  std::size_t writes = 0;
  bool timer_armed = false;
  std::chrono::steady_clock::time_point timer_due;
};

// -- producers --------------------------------------------------------------------------------

enum worker_cmd : int {
  w_chunk,
  w_acked,
  w_event,
  w_event_acked,
  w_fail,
  w_quit_normal,
  w_quit_kill,
  w_quit_user_shutdown,
  w_quit_error,
  w_quit_custom,
  w_throw,
  w_count
};

bool ends_worker(int cmd) {
  return cmd >= w_quit_normal;
}

caf::behavior cmd_worker(caf::event_based_actor* self, response_handle out, int req_no,
                         bool stubborn) {
  if (stubborn)  // ignores every exit message but kill
    self->set_exit_handler([](caf::exit_msg&) {});
  return {
    [=](fz_cmd, int cmd, std::string payload, std::uint16_t status) {
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      switch (cmd) {
        case w_chunk: out.write(self, std::move(payload)); break;
        case w_acked:
          out.write_acked(self, std::move(payload)).then([](ack_atom) {}, [](caf::error&) {});
          break;
        case w_event: out.send_event(self, sse_event{"", std::move(payload), {}, -1}); break;
        case w_event_acked:
          out.send_event_acked(self, sse_event{"tick", std::move(payload), {}, -1})
            .then([](ack_atom) {}, [](caf::error&) {});
          break;
        case w_fail:
          out.fail(self, marker(req_no) + " worker failed", to_status(status),
                   "worker " + marker(req_no));
          break;
        case w_quit_normal: self->quit(); break;
        case w_quit_kill: self->quit(caf::exit_reason::kill); break;
        case w_quit_user_shutdown: self->quit(caf::exit_reason::user_shutdown); break;
        case w_quit_error:
          self->quit(caf::make_error(caf::sec::runtime_error, marker(req_no) + " gave up"));
          break;
        case w_quit_custom: self->quit(fastactor::make_error(errc::request_finished)); break;
        default: throw std::runtime_error(marker(req_no) + " worker threw");
      }
      if (sender)
        self->send(sender, fz_ok::value);
    },
  };
}

void oneshot_worker(caf::event_based_actor* self, response_handle out, int req_no,
                    std::string payload) {
  out.write(self, marker(req_no) + payload);
}

caf::behavior throwing_worker(caf::event_based_actor*, response_handle, int req_no) {
  throw std::logic_error(marker(req_no) + " threw at start");
}

std::function<void(task_context&)> gated_task(std::shared_ptr<task_slot> slot) {
  // Destroyed with the last copy of the task, which the pool's job holds until it has sent
  // the task's messages.
  std::shared_ptr<void> release_mark{nullptr, [slot](void*) {
                                       std::lock_guard<std::mutex> g{slot->m};
                                       slot->released = true;
                                       slot->cv.notify_all();
                                     }};
  return [slot, release_mark](task_context& t) {
    struct finish_guard {
      task_slot& s;
      ~finish_guard() {
        std::lock_guard<std::mutex> g{s.m};
        s.finished = true;
        s.cv.notify_all();
      }
    } guard{*slot};
    {
      std::lock_guard<std::mutex> g{slot->m};
      slot->started = true;
      slot->cv.notify_all();
    }
    if (slot->throw_at_start)
      throw std::runtime_error(marker(slot->req_no) + " task threw at start");
    for (;;) {
      std::pair<int, std::string> cmd;
      {
        std::unique_lock<std::mutex> lk{slot->m};
        slot->cv.wait_for(lk, 2ms, [&] { return !slot->cmds.empty() || slot->release; });
        if (slot->cmds.empty()) {
          if (slot->release || t.cancelled())
            return;
          continue;
        }
        cmd = std::move(slot->cmds.front());
        slot->cmds.pop_front();
      }
      auto executed = [&] {
        std::lock_guard<std::mutex> g{slot->m};
        ++slot->executed;
        slot->cv.notify_all();
      };
      switch (cmd.first) {
        case t_write: t.write(std::move(cmd.second)); break;
        case t_acked: {
          {
            std::lock_guard<std::mutex> g{slot->m};
            slot->in_acked = true;
          }
          t.write_acked(std::move(cmd.second));  // blocks while the writer holds the ack
          std::lock_guard<std::mutex> g{slot->m};
          slot->in_acked = false;
          break;
        }
        case t_fail:
          t.fail(marker(slot->req_no) + " task failed", fastactor::status::bad_gateway);
          break;
        case t_throw: executed(); throw std::runtime_error(marker(slot->req_no) + " task threw");
        default: executed(); return;
      }
      executed();
    }
  };
}

/// Sends flow-controlled writes and events for the fuzzer, and counts unanswered ones.
caf::behavior agent(caf::event_based_actor* self, caf::actor writer,
                    std::shared_ptr<std::atomic<int>> unanswered) {
  return {
    [=](fz_write, stream_id id, std::string& bytes) {
      ++*unanswered;
      self->request(writer, caf::infinite, write_atom::value, id, std::move(bytes))
        .then([=](ack_atom) { --*unanswered; }, [=](caf::error&) { --*unanswered; });
      return fz_ok::value;
    },
    [=](fz_event, stream_id id, sse_event& ev) {
      ++*unanswered;
      self->request(writer, caf::infinite, event_atom::value, id, std::move(ev))
        .then([=](ack_atom) { --*unanswered; }, [=](caf::error&) { --*unanswered; });
      return fz_ok::value;
    },
  };
}

// -- tables the input picks from --------------------------------------------------------------

const std::uint16_t statuses[] = {0,   1,   100, 101, 199, 200, 201, 204, 206, 299,  304,
                                  400, 404, 418, 499, 500, 503, 599, 600, 999, 1000, 65535};

std::string header_name(int i) {
  static const char* const names[] = {"X-Req",
                                      "Content-Type",
                                      "Content-Length",
                                      "Transfer-Encoding",
                                      "Connection",
                                      "Trailer",
                                      "X-Bad",
                                      "X-Nul",
                                      "Bad Name",
                                      "",
                                      "X-LF",
                                      "content-length",
                                      "Keep-Alive",
                                      "Upgrade",
                                      "X:colon",
                                      "Set-Cookie",
                                      "TE",
                                      "X-Empty",
                                      "Proxy-Connection",
                                      "x-req"};
  return names[i % (sizeof(names) / sizeof(names[0]))];
}

std::string header_value(int i, int req_no) {
  switch (i % 8) {
    case 0: return marker(req_no);
    case 1: return "text/x-fuzz";
    case 2: return "5";
    case 3: return "a\r\nInjected: " + marker(req_no);
    case 4: return std::string("a\0b", 3);
    case 5: return "chunked";
    case 6: return "";
    default: return "close";
  }
}

std::string payload(FuzzedDataProvider& in, int req_no) {
  // 70000: past report_limits::results_max (64 KiB) in one write.
  static const std::size_t sizes[] = {0, 1, 10, 50, 63, 64, 100, 300, 1000, 5000, 70000};
  auto kind = in.ConsumeIntegralInRange<int>(0, 10);
  if (kind == 0)
    return {};  // an empty write
  std::string s = marker(req_no);
  s.append(sizes[kind], static_cast<char>('a' + kind));
  if (in.ConsumeBool())
    s += "\r\n0\r\n\r\n";  // bytes that look like framing inside the data
  return s;
}

sse_event make_event(FuzzedDataProvider& in, int req_no) {
  static const char* const types[] = {"", "tick", "a\nb", "error"};
  static const char* const ids[] = {"", "7", "a\nb", "x", "18446744073709551615", "0"};
  static const std::int64_t retries[] = {-1, 0, 3000};
  sse_event ev;
  ev.event = types[in.ConsumeIntegralInRange<int>(0, 3)];
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: ev.data = marker(req_no) + " data"; break;
    case 1: ev.data = marker(req_no) + "\nline2\r\nline3\r"; break;
    case 2: ev.data = ""; break;
    default: ev.data = marker(req_no) + std::string(100, 'e'); break;
  }
  auto id = in.ConsumeIntegralInRange<int>(0, 6);
  ev.id = id == 6 ? std::string("1\0", 2) : ids[id];
  ev.retry_ms = retries[in.ConsumeIntegralInRange<int>(0, 2)];
  return ev;
}

// -- one input ---------------------------------------------------------------------------------

enum handler_action : int {
  h_write,
  h_event,
  h_fail,
  h_status,
  h_header,
  h_buffer,
  h_sse,
  h_ndjson,
  h_spawn,
  h_spawn_stubborn,
  h_spawn_oneshot,
  h_spawn_throw,
  h_go,
  h_go_throw,
  h_throw,
  h_count
};

struct action {
  int kind;
  int arg;
  std::string bytes;
  sse_event ev;
};

class fuzz_session {
public:
  fuzz_session(environment& e, std::shared_ptr<runtime> rt)
    : env_(e), rt_(std::move(rt)), self_(e.sys), conn_(std::make_shared<recording_connection>(e)),
      st_(std::make_shared<input_state>()) {
    conn_->home->set_owner({conn_, &conn_->strand});
    key_ = rt_->next_secret();
    writer_ = spawn_response_writer(e.sys, conn_, rt_, conn_->home, key_);
    agent_ = e.sys.spawn(agent, writer_, unanswered_);
  }

  void run(FuzzedDataProvider& in) {
    {
      std::lock_guard<std::mutex> g{log_mtx};
      input_log.clear();
    }
    for (int ops = 0; ops < 64 && in.remaining_bytes() > 0; ++ops) {
      if (closed())
        break;
      step(in);
    }
    finish();
  }

private:
  // -- helpers ---------------------------------------------------------------------------------

  bool closed() {
    std::lock_guard<std::mutex> g{conn_->mtx};
    return conn_->closed;
  }

  /// Waits until the writer has handled everything sent to it so far: a request it answers
  /// at once (a flow-controlled write of stream 0, which no request ever has).
  /// Waits until the writer has handled everything sent to it so far, and what it sent itself
  /// while doing so: its own flush_atom (an acknowledged write defers to it) lands behind the
  /// first probe, so a second probe follows it. (With one, a forged flush could be followed by
  /// the writer's real one, whose write the check then blamed on the forgery.)
  void settle() {
    for (int probe = 0; probe < 2; ++probe) {
      bool timed_out = false;
      self_->request(writer_, 5s, write_atom::value, stream_id{0}, std::string{})
        .receive([](ack_atom) { violated("stream 0 was acknowledged"); },
                 [&](caf::error& e) { timed_out = e == caf::sec::request_timeout; });
      if (timed_out)
        violated("the writer did not answer within 5 s");
    }
  }

  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until)
        return false;
      std::this_thread::sleep_for(100us);
    }
    return true;
  }

  std::size_t workers_not_known_dead() {
    std::lock_guard<std::mutex> g{st_->m};
    return static_cast<std::size_t>(std::count_if(st_->workers.begin(), st_->workers.end(),
                                                  [](auto& w) { return !w.known_dead; }));
  }

  /// Tasks that hold a pool thread: started, not finished.
  std::size_t busy_tasks() {
    std::lock_guard<std::mutex> g{st_->m};
    std::size_t n = 0;
    for (auto& t : st_->tasks) {
      std::lock_guard<std::mutex> g2{t->m};
      n += t->started && !t->finished;
    }
    return n;
  }

  bool request_live(int req_no) {
    std::lock_guard<std::mutex> g{conn_->mtx};
    return conn_->req_active && conn_->current_req == req_no;
  }

  /// A task that throws at its start ends at once when a pool thread takes it; one is free
  /// unless gated tasks hold them all (then it starts when one of those ends, and this runs
  /// again after that operation). Waited for, else its failure lands during a later operation.
  /// One whose request has ended and that has not started is skipped by the pool, or, if it
  /// starts, fails a scope that is gone (a stale message, no write): not waited for.
  void await_throwing_tasks() {
    std::vector<std::shared_ptr<task_slot>> throwing;
    {
      std::lock_guard<std::mutex> g{st_->m};
      for (auto& t : st_->tasks)
        if (t->throw_at_start)
          throwing.push_back(t);
    }
    auto state = [](task_slot& t) {
      std::lock_guard<std::mutex> g{t.m};
      return std::make_pair(t.started, t.released);
    };
    for (auto& t : throwing)
      wait_for(
        [&] {
          auto [started, released] = state(*t);
          return released
            || (!started && (busy_tasks() >= pool_threads || !request_live(t->req_no)));
        },
        must_happen);
  }

  /// Tasks that finished have sent what they send (their `done`, a failure).
  void sync_tasks() {
    await_throwing_tasks();
    wait_for(
      [&] {
        std::lock_guard<std::mutex> g{st_->m};
        return std::none_of(st_->tasks.begin(), st_->tasks.end(), [](auto& t) {
          std::lock_guard<std::mutex> g2{t->m};
          return t->finished && !t->released;
        });
      },
      must_happen);
  }

  /// Waits for worker `i` to end, then until the writer's monitor has fired (the counter of
  /// live workers drops after the writer's down message was sent).
  void await_worker_end(std::size_t i, std::chrono::milliseconds limit = must_happen) {
    caf::actor w;
    {
      std::lock_guard<std::mutex> g{st_->m};
      w = st_->workers[i].handle;
    }
    self_->monitor(w);
    bool down = false;
    auto until = std::chrono::steady_clock::now() + limit;
    while (!down && std::chrono::steady_clock::now() < until) {
      self_->receive(
        [&](caf::down_msg& dm) {
          if (dm.source == w.address())
            down = true;
        },
        [](fz_ok) {}, caf::after(std::chrono::milliseconds(20)) >> [] {});
    }
    if (!down) {
      self_->demonitor(w);
      return;
    }
    {
      std::lock_guard<std::mutex> g{st_->m};
      st_->workers[i].known_dead = true;
    }
    wait_for(
      [&] {
        return rt_->stats.live_workers.load()
          <= static_cast<std::int64_t>(workers_not_known_dead());
      },
      must_happen);
  }

  stream_id current_id() {
    int req;
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      req = conn_->current_req;
    }
    std::lock_guard<std::mutex> g{st_->m};
    auto i = st_->ids.find(req);
    return i == st_->ids.end() ? rt_->ids.last_taken() + 1 : i->second;
  }

  /// A stream id to tag a message with, and the request number its bytes must carry.
  std::pair<stream_id, int> pick_id(FuzzedDataProvider& in) {
    auto choice = in.ConsumeIntegralInRange<int>(0, 7);
    stream_id id;
    switch (choice) {
      case 0:
      case 1:
      case 2:
      case 3:  // the current request (most messages are its)
        id = current_id();
        break;
      case 4: {  // an earlier request of this input
        std::lock_guard<std::mutex> g{st_->m};
        if (st_->ids.empty())
          id = rt_->ids.last_taken();
        else {
          auto k = in.ConsumeIntegralInRange<std::size_t>(0, st_->ids.size() - 1);
          id = std::next(st_->ids.begin(), static_cast<long>(k))->second;
        }
        break;
      }
      case 5:  // the next request's, before it exists
        id = rt_->ids.last_taken() + 1;
        break;
      case 6: id = in.ConsumeIntegral<stream_id>(); break;
      default:  // a request of an earlier input (another writer's)
        id = rt_->ids.last_taken() > 2 ? rt_->ids.last_taken() - 2 : 0;
        break;
    }
    std::lock_guard<std::mutex> g{st_->m};
    for (auto& [no, sid] : st_->ids)
      if (sid == id)
        return {id, no};
    return {id, foreign_req};
  }

  std::uint16_t pick_status(FuzzedDataProvider& in) {
    return statuses[in.ConsumeIntegralInRange<std::size_t>(0, std::size(statuses) - 1)];
  }

  // -- operations -------------------------------------------------------------------------

  void step(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 24)) {
      case 0:
      case 1:
      case 2: return start_request(in);
      case 3:
      case 4: return direct_chunk(in);
      case 5: return direct_acked(in);
      case 6: return direct_event(in);
      case 7: return direct_fail(in);
      case 8: return forged_done(in);
      case 9:
      case 10:
      case 11: return worker_command(in);
      case 12:
      case 13: return task_command(in);
      case 14:
      case 15:
      case 16: return complete_write(true);
      case 17: return complete_write(in.ConsumeIntegralInRange<int>(0, 3) != 0);
      case 18: return forged_control(in);
      case 19: return exit_to_writer(in);
      case 20: return fire_timer(in);
      case 21: return exit_to_worker(in);
      case 22:
        if (in.ConsumeIntegralInRange<int>(0, 3) == 0)
          return client_gone();
        return shutdown(in);
      case 23: return unexpected_message(in);
      default: return forged_flush();
    }
  }

  void start_request(FuzzedDataProvider& in) {
    auto method = in.ConsumeBool() ? "GET" : "HEAD";
    unsigned version = in.ConsumeIntegralInRange<int>(0, 3) == 0 ? 10 : 11;
    bool keep = version == 11 ? in.ConsumeIntegralInRange<int>(0, 7) != 0 : in.ConsumeBool();
    auto last_event_id = in.ConsumeIntegralInRange<int>(0, 4);
    auto n_actions = in.ConsumeIntegralInRange<int>(0, 6);
    int req_no;
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      // The session reads the next request only once the last response is out.
      if (conn_->req_active || conn_->outstanding || conn_->closed || requests_ >= 8)
        return;
      req_no = ++requests_;
      conn_->at_once = in.ConsumeBool();
    }
    std::vector<action> plan;
    in_req_plan_trace_.clear();
    for (int i = 0; i < n_actions; ++i) {
      action a{
        in.ConsumeIntegralInRange<int>(0, h_count - 1), in.ConsumeIntegral<std::uint8_t>(), {}, {}};
      if (a.kind == h_write || a.kind == h_spawn_oneshot)
        a.bytes = payload(in, req_no);
      if (a.kind == h_event)
        a.ev = make_event(in, req_no);
      in_req_plan_trace_.push_back(std::to_string(a.kind) + "/" + std::to_string(a.arg));
      plan.push_back(std::move(a));
    }
    auto in_req = std::make_shared<routed_request>();
    in_req->req.method = parse_method(method);
    in_req->req.target = in_req->req.path = "/fuzz";
    in_req->req.version = version;
    in_req->req.keep_alive = keep;
    static const char* const leids[] = {nullptr, "5", "abc", "18446744073709551615", ""};
    if (leids[last_event_id])
      in_req->req.headers.emplace_back("Last-Event-ID", leids[last_event_id]);
    in_req->fn = std::make_shared<const handler>(make_handler(req_no, std::move(plan)));
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      conn_->current_req = req_no;
      conn_->req_active = true;
      conn_->last_seen = false;
      conn_->response.clear();
      conn_->check = {version, std::string{method} == "HEAD"};
    }
    if (tracing()) {
      std::string acts;
      for (auto& a : in_req_plan_trace_)
        acts += " " + a;
      trace("op: request %d %s HTTP/1.%u keep=%d leid=%d actions:%s", req_no, method, version % 10,
            keep, last_event_id, acts.c_str());
    }
    caf::anon_send(writer_, request_atom::value, key_, channel_id{0},
                   std::shared_ptr<routed_request>{in_req});
    settle();
    // Producers that end by themselves: let them, so that what follows is deterministic.
    std::vector<std::size_t> self_ending;
    {
      std::lock_guard<std::mutex> g{st_->m};
      for (std::size_t i = 0; i < st_->workers.size(); ++i)
        if (st_->workers[i].req_no == req_no && st_->workers[i].ends_by_itself)
          self_ending.push_back(i);
    }
    for (auto i : self_ending)
      await_worker_end(i);
    sync_tasks();
    settle();
  }

  handler make_handler(int req_no, std::vector<action> plan) {
    return [st = st_, req_no, plan = std::move(plan)](context& ctx) {
      {
        std::lock_guard<std::mutex> g{st->m};
        st->ids[req_no] = ctx.id();
      }
      int tasks = 0, workers = 0;
      for (auto& a : plan) {
        switch (a.kind) {
          case h_write: ctx.write(a.bytes); break;
          case h_event: ctx.write_event(a.ev); break;
          case h_fail:
            ctx.fail(marker(req_no) + " handler failed",
                     to_status(statuses[static_cast<std::size_t>(a.arg) % std::size(statuses)]));
            break;
          case h_status:
            ctx.set_status(
              to_status(statuses[static_cast<std::size_t>(a.arg) % std::size(statuses)]));
            break;
          case h_header:
            ctx.set_header(header_name(a.arg), header_value(a.arg / 20, req_no));
            break;
          case h_buffer: ctx.buffer_response(); break;
          case h_sse: ctx.begin_sse(); break;
          case h_ndjson: ctx.begin_ndjson(); break;
          case h_spawn:
          case h_spawn_stubborn:
          case h_spawn_oneshot:
          case h_spawn_throw: {
            if (++workers > 4)
              break;
            caf::actor w;
            if (a.kind == h_spawn_oneshot)
              w = ctx.spawn(oneshot_worker, req_no, a.bytes);
            else if (a.kind == h_spawn_throw)
              w = ctx.spawn(throwing_worker, req_no);
            else
              w = ctx.spawn(cmd_worker, req_no, a.kind == h_spawn_stubborn);
            std::lock_guard<std::mutex> g{st->m};
            st->workers.push_back({w, req_no, a.kind == h_spawn_oneshot || a.kind == h_spawn_throw,
                                   a.kind == h_spawn_stubborn});
            break;
          }
          case h_go:
          case h_go_throw: {
            if (++tasks > 3)
              break;
            auto slot = std::make_shared<task_slot>();
            slot->req_no = req_no;
            slot->throw_at_start = a.kind == h_go_throw;
            {
              std::lock_guard<std::mutex> g{st->m};
              st->tasks.push_back(slot);
            }
            ctx.go(gated_task(slot), "task " + marker(req_no));
            break;
          }
          default: throw std::runtime_error(marker(req_no) + " handler threw");
        }
      }
    };
  }

  void direct_chunk(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    auto bytes = payload(in, no);
    trace("op: chunk id=%llu (r%d) %s", static_cast<unsigned long long>(id), no,
          escaped(bytes, 40).c_str());
    caf::anon_send(writer_, chunk_atom::value, id, std::move(bytes));
    settle();
  }

  void direct_acked(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    trace("op: acked write id=%llu (r%d)", static_cast<unsigned long long>(id), no);
    self_->request(agent_, 5s, fz_write::value, id, payload(in, no))
      .receive([](fz_ok) {}, [](caf::error&) { violated("the fuzzer's agent did not answer"); });
    settle();
  }

  void direct_event(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    auto ev = make_event(in, no);
    trace("op: event id=%llu (r%d)", static_cast<unsigned long long>(id), no);
    if (in.ConsumeBool())
      self_->request(agent_, 5s, fz_event::value, id, std::move(ev))
        .receive([](fz_ok) {}, [](caf::error&) { violated("the fuzzer's agent did not answer"); });
    else
      caf::anon_send(writer_, event_atom::value, id, std::move(ev));
    settle();
  }

  void direct_fail(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    auto status = pick_status(in);
    trace("op: fail id=%llu (r%d) status=%u", static_cast<unsigned long long>(id), no, status);
    caf::anon_send(
      writer_, fail_atom::value, id,
      worker_error{"producer " + marker(no), marker(no) + " failed", to_status(status)});
    settle();
  }

  struct snapshot {
    std::size_t writes;
    bool closed;
    bool outstanding;
    std::uint64_t forged;
    std::uint64_t stale;
    std::uint64_t unexpected;
    std::int64_t streams;
  };

  snapshot take() {
    std::lock_guard<std::mutex> g{conn_->mtx};
    return {conn_->writes,
            conn_->closed,
            conn_->outstanding,
            rt_->stats.forged_messages_total.load(),
            rt_->stats.stale_messages_total.load(),
            rt_->stats.unexpected_messages_total.load(),
            rt_->published_stats().active_streams.load()};
  }

  /// After a forged message: counted, and nothing changed.
  void check_unchanged(const snapshot& before, const char* what, bool exact_forged = true) {
    auto after = take();
    if (exact_forged && after.forged != before.forged + 1)
      violated("a forged message was not counted exactly once", what);
    if (after.writes != before.writes)
      violated("a forged message made the writer write", what);
    if (after.closed != before.closed)
      violated("a forged message closed the connection", what);
    if (after.streams != before.streams)
      violated("a forged message started or ended a request", what);
    if (rt_->stats.live_writers.load() != 1)
      violated("a forged message ended the writer", what);
    std::lock_guard<std::mutex> g{st_->m};
    if (st_->forged_handler_ran)
      violated("a forged request was answered", what);
  }

  void forged_done(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    (void)no;
    auto token = in.ConsumeIntegral<std::uint64_t>();
    auto before = take();
    trace("op: done id=%llu (r%d) wrong token", static_cast<unsigned long long>(id), no);
    caf::anon_send(writer_, done_atom::value, id, token);
    settle();
    auto after = take();
    // Counted as forged (the stream is live) or as stale (it is not), once; the ping is stale.
    if (after.forged > before.forged + 1
        || after.forged + after.stale < before.forged + before.stale + 2)
      violated("a done with a wrong token was not counted once");
    check_unchanged(before, "done with a wrong token", false);
  }

  void forged_control(FuzzedDataProvider& in) {
    auto wrong = key_ ^ (std::uint64_t{1} + in.ConsumeIntegral<std::uint32_t>());
    auto kind = in.ConsumeIntegralInRange<int>(0, 5);
    auto before = take();
    const char* what = "";
    switch (kind) {
      case 0:
        what = "write_done(ok) with a wrong key";
        caf::anon_send(writer_, write_done_atom::value, wrong, channel_id{0}, true);
        break;
      case 1:
        what = "write_done(failed) with a wrong key";
        caf::anon_send(writer_, write_done_atom::value, wrong, channel_id{0}, false);
        break;
      case 2:
        what = "closed with a wrong key";
        caf::anon_send(writer_, closed_atom::value, wrong);
        break;
      case 3:
        what = "timer with a wrong key";
        caf::anon_send(writer_, timer_atom::value, wrong);
        break;
      case 4:
        what = "shutdown with a wrong key";
        caf::anon_send(writer_, shutdown_atom::value, wrong, in.ConsumeBool());
        break;
      default: {
        what = "request with a wrong key";
        auto req = std::make_shared<routed_request>();
        req->req.method = fastactor::method::get;
        req->req.target = req->req.path = "/forged";
        req->fn = std::make_shared<const handler>([st = st_](context&) {
          std::lock_guard<std::mutex> g{st->m};
          st->forged_handler_ran = true;
        });
        caf::anon_send(writer_, request_atom::value, wrong, channel_id{0},
                       std::shared_ptr<routed_request>{req});
        break;
      }
    }
    trace("op: forged %s", what);
    settle();
    check_unchanged(before, what);
  }

  /// What the writer has no use for (an error, an ill-typed chunk), anonymous or in the
  /// agent's name: counted once as unexpected, and nothing else changes (CAF's defaults
  /// would have ended the writer on the error).
  void unexpected_message(FuzzedDataProvider& in) {
    auto [id, no] = pick_id(in);
    (void)no;
    bool named = in.ConsumeBool();
    bool as_error = in.ConsumeBool();
    auto before = take();
    const char* what = as_error ? "an error to the writer" : "an ill-typed chunk to the writer";
    trace("op: %s (%s)", what, named ? "named" : "anonymous");
    auto msg = as_error
      ? caf::make_message(caf::make_error(caf::sec::runtime_error, "stray"))
      : caf::make_message(chunk_atom::value, static_cast<std::int32_t>(id), payload(in, no));
    if (named)
      self_->send(writer_, std::move(msg));
    else
      caf::anon_send(writer_, std::move(msg));
    settle();
    auto after = take();
    if (after.unexpected != before.unexpected + 1)
      violated("an unexpected message was not counted exactly once", what);
    if (after.forged != before.forged)
      violated("an unexpected message was counted as forged", what);
    check_unchanged(before, what, false);
  }

  void forged_flush() {
    auto before = take();
    trace("op: forged flush");
    caf::anon_send(writer_, forged_flush_atom::value);
    settle();
    check_unchanged(before, "a flush from outside");
  }

  void exit_to_writer(FuzzedDataProvider& in) {
    caf::error reason;
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: reason = caf::exit_reason::normal; break;
      case 1: reason = caf::exit_reason::user_shutdown; break;
      case 2: reason = caf::make_error(caf::sec::runtime_error, "forged"); break;
      default: reason = fastactor::make_error(errc::connection_closed); break;
    }
    auto before = take();
    trace("op: exit message to the writer");
    self_->send_exit(writer_, std::move(reason));
    settle();
    check_unchanged(before, "an exit message to the writer");
  }

  void worker_command(FuzzedDataProvider& in) {
    std::size_t i;
    int req_no;
    caf::actor w;
    {
      std::lock_guard<std::mutex> g{st_->m};
      if (st_->workers.empty())
        return;
      i = in.ConsumeIntegralInRange<std::size_t>(0, st_->workers.size() - 1);
      w = st_->workers[i].handle;
      req_no = st_->workers[i].req_no;
    }
    auto cmd = in.ConsumeIntegralInRange<int>(0, w_count - 1);
    auto bytes = payload(in, req_no);
    auto status = pick_status(in);
    trace("op: worker %zu (r%d) cmd %d", i, req_no, cmd);
    if (ends_worker(cmd) || cmd == w_throw) {
      self_->send(w, fz_cmd::value, cmd, std::move(bytes), status);
      await_worker_end(i);
    } else {
      // It answers once its message to the writer is on its way (or it is gone).
      self_->monitor(w);
      bool done = false;
      auto until = std::chrono::steady_clock::now() + must_happen;
      self_->send(w, fz_cmd::value, cmd, std::move(bytes), status);
      while (!done && std::chrono::steady_clock::now() < until)
        self_->receive([&](fz_ok) { done = true; },
                       [&](caf::down_msg& dm) { done = dm.source == w.address(); },
                       caf::after(std::chrono::milliseconds(20)) >> [] {});
      self_->demonitor(w);
    }
    settle();
  }

  void exit_to_worker(FuzzedDataProvider& in) {
    std::size_t i;
    caf::actor w;
    bool stubborn;
    {
      std::lock_guard<std::mutex> g{st_->m};
      if (st_->workers.empty())
        return;
      i = in.ConsumeIntegralInRange<std::size_t>(0, st_->workers.size() - 1);
      w = st_->workers[i].handle;
      stubborn = st_->workers[i].stubborn;
    }
    auto how = in.ConsumeIntegralInRange<int>(0, 3);
    trace("op: exit message %d to worker %zu", how, i);
    switch (how) {
      case 0:  // ignored by the default exit handler: the worker stays
        self_->send_exit(w, caf::exit_reason::normal);
        break;
      case 1:
        self_->send_exit(w, caf::exit_reason::kill);
        await_worker_end(i);
        break;
      case 2:  // a stubborn worker ignores it
        self_->send_exit(w, caf::exit_reason::user_shutdown);
        if (!stubborn)
          await_worker_end(i);
        break;
      default:
        self_->send_exit(w, caf::make_error(caf::sec::runtime_error, "stopped from outside"));
        if (!stubborn)
          await_worker_end(i);
        break;
    }
    settle();
  }

  void task_command(FuzzedDataProvider& in) {
    std::shared_ptr<task_slot> slot;
    {
      std::lock_guard<std::mutex> g{st_->m};
      if (st_->tasks.empty())
        return;
      slot = st_->tasks[in.ConsumeIntegralInRange<std::size_t>(0, st_->tasks.size() - 1)];
    }
    auto cmd = in.ConsumeIntegralInRange<int>(0, t_count - 1);
    auto bytes = payload(in, slot->req_no);
    bool live;  // else its request ended: a task not started yet is skipped by its wrapper
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      live = conn_->req_active && conn_->current_req == slot->req_no;
    }
    std::unique_lock<std::mutex> lk{slot->m};
    // A task blocked in write_acked would run the command whenever the writer acknowledges,
    // during some later operation: it gets none meanwhile.
    if (slot->finished || slot->in_acked)
      return;
    auto before = slot->executed;
    auto waits_before = rt_->stats.backpressure_waits_total.load();
    trace("op: task (r%d) cmd %d started=%d", slot->req_no, cmd, slot->started);
    slot->cmds.emplace_back(cmd, std::move(bytes));
    slot->cv.notify_all();
    bool ends = cmd == t_throw || cmd == t_return;
    // A task is queued in the pool until a thread takes it: one is free (started on demand)
    // unless gated tasks hold them all.
    if (live) {
      lk.unlock();
      wait_for(
        [&] {
          {
            std::lock_guard<std::mutex> g{slot->m};
            if (slot->started || slot->finished || slot->released)
              return true;  // released unstarted: skipped, its request's tasks were cancelled
          }
          return busy_tasks() >= pool_threads;
        },
        must_happen);
      lk.lock();
    }
    // An acknowledged write is done when it was acknowledged (or refused), or when the writer
    // holds its ack back (counted as a backpressure wait).
    auto done = [&] {
      return slot->finished || (!ends && slot->executed > before)
        || (cmd == t_acked && rt_->stats.backpressure_waits_total.load() > waits_before);
    };
    auto until = std::chrono::steady_clock::now() + must_happen;
    while (slot->started && !done() && std::chrono::steady_clock::now() < until)
      slot->cv.wait_for(lk, 1ms);
    lk.unlock();
    sync_tasks();
    settle();
  }

  void complete_write(bool ok) {
    bool last = false;
    write_kind kind;
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      if (!conn_->outstanding)
        return;
      conn_->outstanding = false;
      last = conn_->last_seen;
      kind = conn_->last_kind;
      if (conn_->last_seen && ok)
        conn_->req_active = false;
    }
    trace("op: complete write ok=%d", ok);
    caf::anon_send(writer_, write_done_atom::value, key_, channel_id{0}, ok);
    settle();
    std::lock_guard<std::mutex> g{conn_->mtx};
    if (ok && last && kind == write_kind::last_close && !conn_->closed)
      violated("the last write said `close`, and the connection stayed open");
    if (ok && last && draining_ && !conn_->closed)
      violated("the last response of a draining connection ended, and it stayed open");
    if (!ok && !conn_->closed)
      violated("a failed write left the connection open");
  }

  void fire_timer(FuzzedDataProvider& in) {
    bool wait_due = in.ConsumeBool();
    std::optional<std::chrono::steady_clock::time_point> due;
    {
      std::lock_guard<std::mutex> g{conn_->mtx};
      if (conn_->timer_armed)
        due = conn_->timer_due;
    }
    if (!due && !in.ConsumeBool())
      return;  // a stale timer message is possible, but only sometimes interesting
    if (due && wait_due && *due - std::chrono::steady_clock::now() < 30ms)
      std::this_thread::sleep_until(*due);
    trace("op: timer (armed=%d)", due.has_value());
    caf::anon_send(writer_, timer_atom::value, key_);
    settle();
  }

  void shutdown(FuzzedDataProvider& in) {
    bool hard = in.ConsumeBool();
    trace("op: shutdown hard=%d", hard);
    caf::anon_send(writer_, shutdown_atom::value, key_, hard);
    draining_ = true;
    settle();
    std::lock_guard<std::mutex> g{conn_->mtx};
    if ((hard || !conn_->req_active) && !conn_->closed)
      violated("a shutdown left the connection open");
  }

  void client_gone() {
    trace("op: client gone");
    caf::anon_send(writer_, closed_atom::value, key_);
    settle();
    if (!closed())
      violated("the client went away and the connection stayed open");
  }

  // -- the end of an input -------------------------------------------------------------------

  void release_tasks() {
    std::lock_guard<std::mutex> g{st_->m};
    for (auto& t : st_->tasks) {
      std::lock_guard<std::mutex> g2{t->m};
      t->release = true;
      t->cv.notify_all();
    }
  }

  std::string describe_state() {
    std::lock_guard<std::mutex> g{conn_->mtx};
    auto& s = rt_->published_stats();
    return "request " + std::to_string(conn_->current_req) + " active="
      + std::to_string(conn_->req_active) + " last_seen=" + std::to_string(conn_->last_seen)
      + " outstanding=" + std::to_string(conn_->outstanding)
      + " closed=" + std::to_string(conn_->closed) + " writes=" + std::to_string(conn_->writes)
      + "\nlive_writers=" + std::to_string(s.live_writers.load())
      + " active_streams=" + std::to_string(s.active_streams.load())
      + " live_workers=" + std::to_string(s.live_workers.load())
      + " running_tasks=" + std::to_string(s.running_tasks.load())
      + " queued_response_bytes=" + std::to_string(s.queued_response_bytes.load())
      + " unanswered acks=" + std::to_string(unanswered_->load()) + "\nresponse so far:\n"
      + conn_->response.substr(0, 2048);
  }

  void finish() {
    trace("end: producers finish, writes complete");
    // Every producer finishes; every write completes: the response must end.
    if (!closed()) {
      release_tasks();
      {
        std::lock_guard<std::mutex> g{st_->m};
        for (auto& w : st_->workers)
          if (!w.known_dead)
            self_->send(w.handle, fz_cmd::value, int{w_quit_normal}, std::string{},
                        std::uint16_t{200});
      }
      auto until = std::chrono::steady_clock::now() + 5s;
      for (;;) {
        settle();
        bool complete = false;
        {
          std::lock_guard<std::mutex> g{conn_->mtx};
          if (conn_->closed || !conn_->req_active)
            break;
          complete = conn_->outstanding;
        }
        if (complete)
          complete_write(true);
        else
          std::this_thread::sleep_for(200us);
        if (std::chrono::steady_clock::now() > until)
          violated("a request never ended after all its producers did", describe_state());
      }
    }
    // The client goes away: everything of this connection must be gone.
    caf::anon_send(writer_, closed_atom::value, key_);
    release_tasks();
    if (!wait_for(
          [&] {
            auto& s = rt_->published_stats();
            return s.live_writers.load() == 0 && s.active_streams.load() == 0
              && s.live_workers.load() == 0 && s.running_tasks.load() == 0
              && s.queued_response_bytes.load() == 0 && unanswered_->load() == 0;
          },
          5s))
      violated("the connection ended and something of it stayed", describe_state());
    caf::anon_send_exit(agent_, caf::exit_reason::kill);
  }

  environment& env_;
  std::shared_ptr<runtime> rt_;
  caf::scoped_actor self_;
  std::shared_ptr<recording_connection> conn_;
  std::shared_ptr<input_state> st_;
  std::shared_ptr<std::atomic<int>> unanswered_ = std::make_shared<std::atomic<int>>(0);
  connection_key key_ = 0;
  caf::actor writer_;
  caf::actor agent_;
  int requests_ = 0;
  bool draining_ = false;
  std::vector<std::string> in_req_plan_trace_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& e = env();
  FuzzedDataProvider in{data, size};
  auto rt = e.rts[in.ConsumeIntegralInRange<int>(0, 3) % 3];  // default limits twice as often
  fuzz_session s{e, rt};
  s.run(in);
  return 0;
}
