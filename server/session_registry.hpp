#pragma once
// session_registry: the live sessions of a server, so that shutdown can reach each of them.
// Sessions add themselves when they start and leave in their destructor (any thread).

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace fastactor {

class session;

class session_registry {
public:
  void add(const std::shared_ptr<session>& s) {
    std::lock_guard<std::mutex> guard{mtx_};
    sessions_.emplace(s.get(), s);
  }
  void remove(session* s) {
    std::lock_guard<std::mutex> guard{mtx_};
    sessions_.erase(s);
  }
  std::vector<std::shared_ptr<session>> snapshot() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<std::shared_ptr<session>> out;
    for (const auto& entry : sessions_)
      if (auto s = entry.second.lock())
        out.push_back(std::move(s));
    return out;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return sessions_.size();
  }

private:
  mutable std::mutex mtx_;
  std::unordered_map<session*, std::weak_ptr<session>> sessions_;
};

}  // namespace fastactor
