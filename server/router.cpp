#include <fastactor/router.hpp>

#include <fastactor/context.hpp>

#include <algorithm>

namespace fastactor {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  if (path.empty())
    return out;
  for (;;) {
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      return out;
    path.remove_prefix(slash + 1);
  }
}

router& router::add(std::string method, std::string pattern, handler fn) {
  auto segments = split_path(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments),
                     std::make_shared<const handler>(std::move(fn))});
  return *this;
}

bool router::matches(const route_entry& r, const std::vector<std::string>& segments,
                     name_value_list* params) {
  if (r.segments.size() != segments.size())
    return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& want = r.segments[i];
    bool capture = !want.empty() && want.front() == ':';
    if (!capture && want != segments[i])
      return false;
    if (capture && segments[i].empty())
      return false;
  }
  if (params)
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (!r.segments[i].empty() && r.segments[i].front() == ':')
        params->emplace_back(r.segments[i].substr(1), segments[i]);
  return true;
}

router::match router::route(std::string_view method,
                            const std::vector<std::string>& segments) const {
  auto lookup = method == "HEAD" ? std::string_view{"GET"} : method;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!matches(r, segments, nullptr))
      continue;
    if (r.method == lookup) {
      match m{r.fn, {}, 200, {}};
      matches(r, segments, &m.params);
      return m;
    }
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end())
      allowed.push_back(r.method);
  }
  std::string path = "/";
  for (std::size_t i = 0; i < segments.size(); ++i)
    path += (i ? "/" : "") + segments[i];
  if (allowed.empty())
    return {error_handler(404, "no route for " + path), {}, 404, {}};
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end())
    allowed.push_back("HEAD");
  std::string allow;
  for (const auto& m : allowed)
    allow += (allow.empty() ? "" : ", ") + m;
  return {error_handler(405, "method " + std::string{method} + " not allowed for " + path
                               + " (allowed: " + allow + ")",
                        allow),
          {},
          405,
          allow};
}

std::shared_ptr<const handler> router::error_handler(std::uint16_t status, std::string message,
                                                     std::string allow) {
  return std::make_shared<const handler>(
    [status, message = std::move(message), allow = std::move(allow)](context& ctx) {
      if (!allow.empty())
        ctx.set_header("Allow", allow);
      ctx.fail(worker_error{"request", message, status});
    });
}

} // namespace fastactor
