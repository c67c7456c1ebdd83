#pragma once
// release_memory: empties a container and gives its memory back. `c = {}` does not: for a
// std::vector or a std::string it assigns an empty list and keeps the capacity, so a buffer
// "released" that way stays with its owner (a connection, a stream) for as long as it lives.

namespace fastactor {

template <class Container>
void release_memory(Container& c) noexcept {
  Container{}.swap(c);
}

}  // namespace fastactor
