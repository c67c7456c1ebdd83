#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4).
//
//   routes.get("/metrics", fastactor::metrics_handler());

#include <fastactor/handler.hpp>
#include <fastactor/stats.hpp>

#include <string>

namespace fastactor {

/// The counters and gauges of `stats` as Prometheus text.
std::string prometheus_text(const server_stats& stats);

/// A handler serving prometheus_text() of its own server.
handler metrics_handler();

}  // namespace fastactor
