#pragma once
// joined: the parts of a gathered write as one string, as the socket would take them.

#include <string>
#include <vector>

inline std::string joined(const std::vector<std::string>& parts) {
  std::string all;
  for (const auto& part : parts)
    all += part;
  return all;
}
