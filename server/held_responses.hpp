#pragma once
// held_responses: the complete responses to pipelined requests that a session holds back to
// send them in one write (docs/design-notes.md, "Pipelined responses go out together"), and,
// behind a flush of them, the writer's next write.
//
// A held response's small parts (a head, a short body) are copied into one batch buffer,
// which the batch's later responses fill on: the batch goes out as a few parts instead of two
// per response, and each response's own strings are freed at once. (Kept, sixteen heads
// outlived glibc's per-thread cache of seven blocks a size, and each free and allocation of a
// batch took malloc's slow path: ~1,500 of a pipelined /hello's ~7,900 instructions.) A held
// sequence gets one batch buffer, reserved once and never grown: a part that is larger than
// batch_part_max, or does not fit, is moved as it is, and closes the buffer (the parts after
// it must follow it). So what is held costs at most the bytes counted plus batch_reserve.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fastactor {

class held_responses {
public:
  /// A held part this small is copied into the batch buffer; a larger one is moved.
  static constexpr std::size_t batch_part_max = 1024;
  /// The batch buffer's one reservation: sixteen small responses.
  static constexpr std::size_t batch_reserve = 4096;

  bool empty() const { return parts_.empty(); }
  /// The held responses' bytes, as their parts counted them (the writer's queued write aside).
  std::size_t bytes() const { return bytes_; }
  std::size_t responses() const { return responses_; }

  /// Holds one more complete response, `bytes` long, behind the others; `parts` is taken.
  void hold(std::vector<std::string>& parts, std::size_t bytes);
  /// The same for a response whose parts are `head` (copied) and then `body` (taken).
  void hold(std::string_view head, std::vector<std::string>& body, std::size_t bytes);

  /// Puts `parts` (the writer's write, which waits for the held responses' flush) behind what
  /// is held, and all of it out of the counts: nothing more is held back until it is taken.
  void queue_behind(std::vector<std::string> parts);

  /// Moves `after` behind what is held and hands everything over in `after`, in order;
  /// nothing is held afterwards.
  void take_into(std::vector<std::string>& after);

  /// Everything, in order; nothing is held afterwards.
  std::vector<std::string> take_all();

  /// Drops everything and gives its memory back.
  void drop();

  /// The memory the parts take (their capacities), for the tests of the bound above.
  std::size_t memory() const;

private:
  /// Puts one part behind the others: copied into the batch buffer if it is small and fits,
  /// else as a part of its own (`Part`: a string, moved, or a view, copied).
  template <class Part>
  void add(Part&& part);
  void count(std::size_t bytes);
  void clear_counts();

  std::vector<std::string> parts_;
  std::size_t bytes_ = 0;
  std::size_t responses_ = 0;
  bool batch_open_ = false;  ///< parts_.back() is the batch buffer, and may take more
  bool batch_used_ = false;  ///< this held sequence has had its batch buffer
};

}  // namespace fastactor
