#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace citytwin::mobility {

/// GEH statistic of one hour (Highways England, DMRB): sqrt(2 (M - C)^2 / (M + C)) with M the
/// modelled and C the counted flow in veh/h; 0 when M + C == 0. Precondition: M, C >= 0.
/// See docs/models/mobility.md#counts-replay. Thread-safe.
[[nodiscard]] double geh(double modelled_veh_per_h, double counted_veh_per_h);

/// Goodness of fit of simulated against observed hourly flows.
struct FitSummary {
  std::int64_t n_hours = 0;           ///< hours where both flows are present (not NaN)
  std::int64_t n_hours_skipped = 0;   ///< hours dropped because either flow is NaN
  std::vector<double> geh_per_hour;   ///< GEH of each compared hour, in input order
  double share_geh_below_5_frac = 0;  ///< [0..1] share of compared hours with GEH < 5
  double mean_geh = 0;                ///< mean GEH
  double rmse_veh_per_h = 0;          ///< [veh/h] root mean square error
  double mae_veh_per_h = 0;           ///< [veh/h] mean absolute error
  double mean_relative_error_frac = 0;  ///< mean of (M - C) / C over hours with C > 0 (signed)
  double r2 = 0;                      ///< 1 - SS_res / SS_tot around the observed mean (NaN if SS_tot = 0)
  double mean_observed_veh_per_h = 0;   ///< [veh/h]
  double mean_simulated_veh_per_h = 0;  ///< [veh/h]

  /// The printed "fit summary": a two-column table of every statistic above, one per line.
  [[nodiscard]] std::string format(const std::string& title = "fit summary") const;
};

/// Compares simulated and observed hourly flows, hour by hour (same length, same hours).
/// Hours where either value is NaN are skipped and counted. Throws std::invalid_argument when
/// the lengths differ or a present flow is negative. Thread-safe.
[[nodiscard]] FitSummary compare_flows(std::span<const double> simulated_veh_per_h,
                                       std::span<const double> observed_veh_per_h);

/// A straight network link piece between two points, in metres of a projected plane
/// (x east, y north) or in degrees (x = lon, y = lat) for attach_counter_lonlat.
struct LinkSegment {
  std::int64_t link_idx = 0;  ///< dense index of the link in the caller's network
  double x0 = 0, y0 = 0;      ///< start point
  double x1 = 0, y1 = 0;      ///< end point
};

/// The link a counter was attached to.
struct LinkMatch {
  std::int64_t link_idx = -1;  ///< link_idx of the nearest segment
  double distance_m = 0;       ///< [m] point-to-segment distance
};

/// Distance from point (px, py) to the segment (x0, y0)-(x1, y1), in the same units. Thread-safe.
[[nodiscard]] double point_segment_distance(double px, double py, double x0, double y0, double x1,
                                            double y1);

/// Attaches a counter at projected (x_m, y_m) to the nearest segment within max_distance_m
/// (segments in metres). Ties keep the first segment. Returns nothing when none is that close.
/// Throws std::invalid_argument when max_distance_m < 0. Thread-safe.
[[nodiscard]] std::optional<LinkMatch> attach_counter_xy(std::span<const LinkSegment> segments_m,
                                                         double x_m, double y_m,
                                                         double max_distance_m);

/// As attach_counter_xy for segments in degrees (x = lon, y = lat) and a counter at lat/lon:
/// both are projected onto a local equirectangular plane centred on the counter (error well
/// under 1 % within a few km). Thread-safe.
[[nodiscard]] std::optional<LinkMatch> attach_counter_lonlat(
    std::span<const LinkSegment> segments_deg, double lat_deg, double lon_deg,
    double max_distance_m);

/// Attaches by stable id: the index of `link_id` in `link_ids`, or nothing. Thread-safe.
[[nodiscard]] std::optional<std::int64_t> attach_counter_by_id(
    std::span<const std::int64_t> link_ids, std::int64_t link_id);

}  // namespace citytwin::mobility
