#include <fastactor/router.hpp>

#include <fastactor/context.hpp>

#include <algorithm>
#include <stdexcept>

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

router& router::add(method m, std::string pattern, handler fn) {
  if (m == method::other)
    throw std::invalid_argument("router::add: method::other never matches a request");
  auto segments = split_path(pattern);
  bool has_params = std::any_of(segments.begin(), segments.end(), [](const std::string& s) {
    return !s.empty() && s.front() == ':';
  });
  bool shadowed = std::any_of(routes_.begin(), routes_.end(), [&](const route_entry& earlier) {
    return earlier.method == m && matches(earlier, segments, nullptr);
  });
  routes_.push_back(
    {m, std::move(pattern), std::move(segments), std::make_shared<const handler>(std::move(fn))});
  // Indexed after it is added: if indexing throws, route() still finds the route by search.
  if (!has_params && !shadowed)
    index_exact(routes_.size() - 1);
  return *this;
}

void router::index_exact(std::size_t index) {
  const auto& segments = routes_[index].segments;
  std::string path = "/";
  for (std::size_t i = 0; i < segments.size(); ++i)
    path += (i ? "/" : "") + segments[i];
  auto found = by_path_.find(path);
  if (found == by_path_.end()) {
    path_keys_.push_back(std::make_shared<const std::string>(std::move(path)));
    found = by_path_.emplace(*path_keys_.back(), std::vector<std::size_t>{}).first;
  }
  found->second.push_back(index);
}

router::match router::route_path(method req_method, std::string_view path,
                                 std::string_view name) const {
  if (auto* fn = find_exact(req_method, path))
    return {*fn, {}, status::ok, {}};
  return route(req_method, split_path(path), name);  // parameters, 404 or 405
}

const std::shared_ptr<const handler>* router::find_exact(method req_method,
                                                         std::string_view path) const {
  auto lookup = req_method == method::head ? method::get : req_method;
  if (auto found = by_path_.find(path); found != by_path_.end())
    for (auto index : found->second)
      if (routes_[index].method == lookup)
        return &routes_[index].fn;
  return nullptr;
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

router::match router::route(method req_method, const std::vector<std::string>& segments,
                            std::string_view name) const {
  auto lookup = req_method == method::head ? method::get : req_method;
  std::vector<method> allowed;
  for (const auto& r : routes_) {
    if (!matches(r, segments, nullptr))
      continue;
    if (r.method == lookup) {
      match m{r.fn, {}, status::ok, {}};
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
    return {error_handler(status::not_found, "no route for " + path), {}, status::not_found, {}};
  if (std::find(allowed.begin(), allowed.end(), method::get) != allowed.end())
    allowed.push_back(method::head);
  std::string allow;
  for (auto m : allowed) {
    if (!allow.empty())
      allow += ", ";
    allow += to_string(m);
  }
  auto shown = name.empty() ? to_string(req_method) : name;
  return {error_handler(status::method_not_allowed,
                        "method " + std::string{shown} + " not allowed for " + path
                          + " (allowed: " + allow + ")",
                        allow),
          {},
          status::method_not_allowed,
          allow};
}

std::shared_ptr<const handler> router::error_handler(status code, std::string message,
                                                     std::string allow) {
  return std::make_shared<const handler>(
    [code, message = std::move(message), allow = std::move(allow)](context& ctx) {
      if (!allow.empty())
        ctx.set_header("Allow", allow);
      ctx.fail(worker_error{"request", message, code});
    });
}

}  // namespace fastactor
