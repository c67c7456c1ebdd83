#pragma once
// The private pieces behind content_encoder::make: the counting allocator every
// implementation hands its library, and one factory per coding (gzip_encoder.cpp,
// brotli_encoder.cpp, zstd_encoder.cpp). Their parameters come from coding_parameters.hpp.

#include "protocol/content_encoder.hpp"

namespace fastactor {

/// A content_encoder whose library allocates through allocate() and release(): every block
/// carries its size in a header, so allocated_ is exact, and is added to the budget while it
/// lives.
class counted_encoder : public content_encoder {
public:
  /// The most bytes held at once since construction (for the measurements in bench/).
  std::size_t peak_memory() const { return peak_; }

protected:
  counted_encoder(std::size_t memory_max, std::atomic<std::int64_t>* budget)
    : memory_max_(memory_max), budget_(budget) {}
  /// The implementation frees its library's state first (in its own destructor), so by now
  /// allocated_ is 0 and the budget is back where it was.
  ~counted_encoder() override = default;

  /// A block of `size` bytes (aligned as malloc's), or nullptr if it would take allocated_
  /// past memory_max (while refusing() is true) or malloc fails. Never throws.
  void* allocate(std::size_t size) noexcept;
  /// Frees a block from allocate(); nullptr is ignored.
  void release(void* block) noexcept;

  /// Whether allocate() refuses what does not fit. Brotli (Debian's 1.0.9) calls exit() when
  /// an allocation fails after its instance is made, so its encoder turns refusal off then and
  /// checks the cap after each call instead.
  void refuse_past_max(bool on) { refuse_ = on; }
  std::size_t memory_max() const { return memory_max_; }

  /// C callbacks for the libraries: `self` is the counted_encoder.
  static void* allocate_for(void* self, std::size_t size) noexcept;
  static void release_for(void* self, void* block) noexcept;

private:
  std::size_t memory_max_;
  std::atomic<std::int64_t>* budget_;
  std::size_t peak_ = 0;
  bool refuse_ = true;
};

/// The factories content_encoder::make calls, `level` already within the coding's range.
std::unique_ptr<content_encoder> make_gzip_encoder(int level, std::size_t memory_max,
                                                   std::atomic<std::int64_t>* budget);
std::unique_ptr<content_encoder> make_brotli_encoder(int quality, std::size_t memory_max,
                                                     std::atomic<std::int64_t>* budget);
std::unique_ptr<content_encoder> make_zstd_encoder(int level, std::size_t memory_max,
                                                   std::atomic<std::int64_t>* budget);

/// Opens `room` writable bytes at the end of `out` and returns where they start; the caller
/// shrinks `out` back to what was written. Capacity grows geometrically, so a long stream of
/// small outputs costs amortized O(1) reallocations. (std::bad_alloc may propagate.)
char* open_room(std::string& out, std::size_t room);

}  // namespace fastactor
