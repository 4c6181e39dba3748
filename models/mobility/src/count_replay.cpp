#include <citytwin/mobility/count_replay.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

#include <citytwin/mobility/count_fit.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {
constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean radius
}  // namespace

void local_xy_of_lonlat(double lat_deg, double lon_deg, double origin_lat_deg,
                        double origin_lon_deg, double& x_m, double& y_m) {
  constexpr double kRad = std::numbers::pi / 180.0;
  x_m = kEarthRadiusM * std::cos(origin_lat_deg * kRad) * (lon_deg - origin_lon_deg) * kRad;
  y_m = kEarthRadiusM * (lat_deg - origin_lat_deg) * kRad;
}

double CountReplay::observed(std::size_t row, std::int64_t hour_utc_s) const {
  const auto c = static_cast<std::size_t>(counter_idx[row]);
  const std::vector<std::int64_t>& times = series.time_utc_s[c];
  const auto it = std::lower_bound(times.begin(), times.end(), hour_utc_s);
  if (it == times.end() || *it != hour_utc_s) return std::numeric_limits<double>::quiet_NaN();
  return series.flow_veh_per_h[c][static_cast<std::size_t>(it - times.begin())];
}

CountReplay attach_counts(CountSeries series, const StreetNetwork& network,
                          const CountAttachOptions& options, const std::string& file,
                          const std::string& key) {
  CountReplay out;
  out.series = std::move(series);
  const CountSeries& s = out.series;
  std::vector<InputIssue> issues;
  std::vector<std::int64_t> explicit_link(s.n_counters(), -1);
  for (const auto& [counter, link_id] : options.counter_link_id) {
    const std::int64_t c = s.find_counter(counter);
    const std::int32_t l = network.link_idx(link_id);
    if (c < 0) {
      issues.push_back({file, 0, 0, key + "." + counter,
                        "counter '" + counter + "' is not in the counts file; use an id of its "
                        "header (Paris: the arc id, Helsinki: the column name)"});
    }
    if (l < 0) {
      issues.push_back({file, 0, 0, key + "." + counter,
                        "link id " + std::to_string(link_id) + " is not in the network"});
    }
    if (c >= 0 && l >= 0) explicit_link[static_cast<std::size_t>(c)] = l;
  }
  if (!issues.empty()) throw InputError(std::move(issues));

  // link pieces in the network plane for counters given by coordinates
  std::vector<LinkSegment> pieces;
  const bool have_origin = std::isfinite(options.origin_lat_deg) && std::isfinite(options.origin_lon_deg);
  for (std::int64_t l = 0; l < network.n_links(); ++l) {
    const auto li = static_cast<std::size_t>(l);
    const auto a = static_cast<std::size_t>(network.from_node_idx[li]);
    const auto b = static_cast<std::size_t>(network.to_node_idx[li]);
    pieces.push_back({l, network.node_x_m[a], network.node_y_m[a], network.node_x_m[b], network.node_y_m[b]});
  }
  for (std::size_t c = 0; c < s.n_counters(); ++c) {
    std::int64_t link = explicit_link[c];
    double distance_m = 0.0;
    if (link < 0) {
      if (!have_origin || std::isnan(s.lat_deg[c]) || std::isnan(s.lon_deg[c])) {
        out.unattached.push_back(s.counter_id[c] + " (no coordinates and no explicit link)");
        continue;
      }
      double x = 0.0;
      double y = 0.0;
      local_xy_of_lonlat(s.lat_deg[c], s.lon_deg[c], options.origin_lat_deg, options.origin_lon_deg, x, y);
      const std::optional<LinkMatch> match = attach_counter_xy(pieces, x, y, options.max_distance_m);
      if (!match) {
        out.unattached.push_back(s.counter_id[c] + " (no link within " +
                                 std::to_string(static_cast<int>(options.max_distance_m)) + " m)");
        continue;
      }
      link = match->link_idx;
      distance_m = match->distance_m;
    }
    out.counter_idx.push_back(static_cast<std::int32_t>(c));
    out.link_idx.push_back(static_cast<std::int32_t>(link));
    out.is_bike.push_back(s.mode[c] == CountMode::kBike ? 1 : 0);
    out.distance_m.push_back(distance_m);
  }
  return out;
}

}  // namespace citytwin::mobility
