#include "support/memory.hpp"

#include <cstring>
#include <fstream>
#include <string>

namespace testing {

long proc_status_kib(const char* field) {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  auto len = std::strlen(field);
  while (std::getline(status, line))
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':')
      return std::stol(line.substr(len + 1));
  return -1;
}

bool reset_peak_rss() {
  std::ofstream refs{"/proc/self/clear_refs"};
  if (!refs)
    return false;
  refs << "5" << std::flush;
  return static_cast<bool>(refs);
}

peak_rss_probe::peak_rss_probe() {
  valid_ = reset_peak_rss();
  start_kib_ = proc_status_kib("VmRSS");
  // The peak is now the RSS at the reset; if it is not, the reset did not take.
  valid_ = valid_ && start_kib_ > 0 && proc_status_kib("VmHWM") <= start_kib_ + 1024;
}

double peak_rss_probe::growth_mib() const {
  return static_cast<double>(proc_status_kib("VmHWM") - start_kib_) / 1024.0;
}

}  // namespace testing
