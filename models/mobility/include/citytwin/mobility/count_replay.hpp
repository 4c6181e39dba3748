#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <citytwin/mobility/readers/counts.hpp>
#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility {

/// How the counters of a counts file are attached to the simulated network
/// (docs/models/mobility.md#counts-in-a-run).
struct CountAttachOptions {
  /// Explicit attachments (counter id, network link id); they win over coordinates.
  std::vector<std::pair<std::string, std::int64_t>> counter_link_id;
  double max_distance_m = 50.0;  ///< [m] a counter farther from every link stays unattached
  /// Geographic position of the network's (0, 0), for counters given by lat/lon; NaN when the
  /// network has none (then only explicit attachments work).
  double origin_lat_deg = 0.0;
  double origin_lon_deg = 0.0;
};

/// The counters of a counts file attached to links of a network: one row per attached counter.
/// Immutable; thread-safe to read.
struct CountReplay {
  CountSeries series;                     ///< the counts as read
  std::vector<std::int32_t> counter_idx;  ///< [row] index into `series`
  std::vector<std::int32_t> link_idx;     ///< [row] attached network link
  std::vector<std::uint8_t> is_bike;      ///< [row] 1 for a bicycle counter (counts bikes)
  std::vector<double> distance_m;         ///< [row] [m] counter-to-link distance, 0 by id
  std::vector<std::string> unattached;    ///< ids of counters attached to no link, and why

  /// Number of attached counters.
  [[nodiscard]] std::size_t size() const { return counter_idx.size(); }
  /// [veh h-1] observed flow of `row` in the hour starting at `hour_utc_s`, NaN when absent.
  [[nodiscard]] double observed(std::size_t row, std::int64_t hour_utc_s) const;
};

/// Attaches every counter of `series` to a link of `network`: by the explicit (counter id, link
/// id) pairs first, else by the counter's lat/lon to the nearest link piece within
/// max_distance_m (a local equirectangular plane around the network origin: below 0.1 % scale
/// error within 10 km of it). Throws citytwin::InputError naming `file` and `key` when an
/// explicit pair names an unknown counter or link. Thread-safe.
[[nodiscard]] CountReplay attach_counts(CountSeries series, const StreetNetwork& network,
                                        const CountAttachOptions& options,
                                        const std::string& file, const std::string& key);

/// [m] local projected (x east, y north) of a WGS84 point relative to an origin, equirectangular.
void local_xy_of_lonlat(double lat_deg, double lon_deg, double origin_lat_deg,
                        double origin_lon_deg, double& x_m, double& y_m);

}  // namespace citytwin::mobility
