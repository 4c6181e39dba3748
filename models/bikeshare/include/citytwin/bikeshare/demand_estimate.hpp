#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <citytwin/bikeshare/readers/gbfs.hpp>
#include <citytwin/bikeshare/station_table.hpp>

namespace citytwin::bikeshare {

/// How the hidden turnover between two snapshots is estimated
/// (docs/models/bikeshare.md#snapshot-spacing).
enum class SpacingCorrection {
  kNone,    ///< lower bounds only
  kFitted,  ///< kappa fitted by comparing 1-step and 2-step differences on the denser intervals
  kFixed,   ///< kappa = DemandOptions::hidden_turnover_per_h
};

/// Options of the demand estimator; see docs/models/bikeshare.md#demand-estimation.
struct DemandOptions {
  double bin_s = 900.0;                      ///< output bin length [s], > 0, divides 86400
  double rebalancing_threshold_bikes = 8.0;  ///< |change| in one interval >= this -> operator move [bikes]
  double max_gap_s = 3.0 * 3600.0;           ///< longer snapshot gaps are unobserved [s]
  SpacingCorrection spacing = SpacingCorrection::kFitted;  ///< hidden-turnover correction
  double hidden_turnover_per_h = 0.0;        ///< kappa for kFixed [1/h]: f(gap) = 1 + kappa * gap_h
  double max_fit_ratio = 1.9;                ///< cap on the 1-step / 2-step ratio of the fit [-]
  double min_exposure_frac = 0.1;            ///< uncensored share of a bin below which it is filled [-]
  std::int64_t utc_offset_s = 0;             ///< local time = UTC + offset, for the hour of day [s]
};

/// What the estimator did, for logs and tests.
struct DemandReport {
  std::int64_t n_intervals = 0;           ///< station x consecutive-snapshot intervals seen
  std::int64_t n_missing_intervals = 0;   ///< intervals with a missing end (station absent)
  std::int64_t n_long_gaps = 0;           ///< intervals longer than max_gap_s
  std::int64_t n_rebalancing_moves = 0;   ///< intervals excluded as operator moves
  double rebalanced_bikes = 0.0;          ///< bikes moved in those intervals [bikes]
  double median_gap_s = 0.0;              ///< median snapshot spacing [s]
  double hidden_turnover_per_h = 0.0;     ///< kappa used [1/h]
  bool spacing_fitted = false;            ///< kappa came from the fit
  double fit_ratio = 0.0;                 ///< turnover rate 1-step / 2-step in the fit [-]
  std::int64_t n_censored_rental_cells = 0;  ///< bins whose rental rate was filled (empty station)
  std::int64_t n_censored_return_cells = 0;  ///< bins whose return rate was filled (full station)
  std::int64_t n_unfilled_cells = 0;      ///< rates left NaN: no station observed in that bin
  double rentals_lower_bound = 0.0;       ///< sum of the rental lower bounds [bikes]
  double returns_lower_bound = 0.0;       ///< sum of the return lower bounds [bikes]
};

/// Rentals and returns per station and time bin estimated from a status replay. Arrays are
/// row-major [bin_idx * n_stations + status_idx] (stations as in the StatusSeries), hourly
/// arrays [hour_of_day * n_stations + status_idx].
struct DemandEstimate {
  double bin_s = 0.0;                      ///< bin length [s]
  std::int64_t start_s = 0;                ///< start of bin 0 [Unix s]
  std::size_t n_bins = 0;                  ///< number of bins
  std::vector<std::string> station_id;     ///< [n_stations] as in the StatusSeries
  std::vector<double> rentals_lower_bound;  ///< [n_bins*n_stations] sum of max(-delta, 0) [bikes]
  std::vector<double> returns_lower_bound;  ///< [n_bins*n_stations] sum of max(delta, 0) [bikes]
  std::vector<double> rentals;             ///< [n_bins*n_stations] with hidden turnover [bikes]
  std::vector<double> returns;             ///< [n_bins*n_stations] with hidden turnover [bikes]
  std::vector<double> rental_rate_per_h;   ///< [n_bins*n_stations] censoring-corrected [bikes/h]
  std::vector<double> return_rate_per_h;   ///< [n_bins*n_stations] censoring-corrected [bikes/h]
  std::vector<double> hourly_rental_rate_per_h;  ///< [24*n_stations] by local hour of day [bikes/h]
  std::vector<double> hourly_return_rate_per_h;  ///< [24*n_stations] by local hour of day [bikes/h]
  DemandReport report;                     ///< counts of what was done

  /// Returns the number of stations.
  [[nodiscard]] std::size_t n_stations() const { return station_id.size(); }
};

/// Estimates rental and return rates per station and bin from occupancy changes: lower bounds
/// from the net change, a hidden-turnover factor growing with the snapshot gap, censoring
/// correction while a station is empty (rentals) or full (returns), and exclusion of
/// rebalancing jumps. Throws std::invalid_argument for bad options or a series with fewer
/// than 2 snapshots. Deterministic; not parallel.
[[nodiscard]] DemandEstimate estimate_demand(const StatusSeries& series, const DemandOptions& options = {});

/// Options of the gravity destination model (docs/models/bikeshare.md#gravity-model).
struct GravityOptions {
  double detour_factor = 1.3;    ///< network / great-circle distance ratio [-]
  double min_distance_m = 100.0;  ///< distances are floored to this, for co-located stations [m]
  bool include_self = false;     ///< allow returning to the origin station (at min_distance_m)
};

/// Destination probabilities of every origin, dense row-major [origin_idx * n + destination_idx].
struct DestinationMatrix {
  std::size_t n_stations = 0;      ///< rows and columns
  std::vector<double> probability;  ///< [n*n] each row sums to 1 [-]

  /// Returns P(destination | origin).
  [[nodiscard]] double at(std::size_t origin_idx, std::size_t destination_idx) const {
    return probability[origin_idx * n_stations + destination_idx];
  }
};

/// Largest station count gravity_destinations accepts (the matrix is dense, n^2 doubles).
inline constexpr std::size_t kMaxDenseStations = 1000;

/// Returns the great-circle (haversine) distance between two WGS84 points [m].
[[nodiscard]] double great_circle_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/// Gravity model: P(d | o) proportional to attraction[d] * (detour * great_circle(o, d))^-beta.
/// `attraction_per_h` is indexed by the table's station_idx (e.g. return rates [bikes/h]).
/// Throws std::invalid_argument for more than kMaxDenseStations stations, a size mismatch,
/// a negative or non-finite attraction or beta, or an all-zero attraction. Thread-safe.
[[nodiscard]] DestinationMatrix gravity_destinations(const StationTable& stations,
                                                     const std::vector<double>& attraction_per_h,
                                                     double beta, const GravityOptions& options = {});

}  // namespace citytwin::bikeshare
