#include <citytwin/bikeshare/demand_estimate.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Demand estimation from GBFS occupancy changes and a gravity destination model; method,
// assumptions and references in docs/models/bikeshare.md#demand-estimation.
namespace citytwin::bikeshare {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean Earth radius
constexpr double kPi = 3.14159265358979323846;

/// True when the station accepts the operation at that cell (missing flags count as yes).
bool flag_on(const std::vector<std::int8_t>& flags, std::size_t cell) {
  return flags.empty() || flags[cell] != 0;
}

/// Counts and exposures accumulated per (group, station), before rates are formed.
struct Accumulator {
  std::vector<double> rentals;
  std::vector<double> returns;
  std::vector<double> rental_exposure_h;
  std::vector<double> return_exposure_h;

  explicit Accumulator(std::size_t n_cells)
      : rentals(n_cells, 0.0), returns(n_cells, 0.0), rental_exposure_h(n_cells, 0.0), return_exposure_h(n_cells, 0.0) {}
};

/// Turns counts / exposure into rates; a cell with exposure below min_exposure_h is censored
/// or unobserved and gets the pooled rate of its group over the stations observed there.
std::vector<double> rates_with_fill(const std::vector<double>& counts, const std::vector<double>& exposure_h,
                                    std::size_t n_groups, std::size_t n_stations, double min_exposure_h,
                                    std::int64_t& n_filled, std::int64_t& n_unfilled) {
  std::vector<double> rates(counts.size(), kNan);
  for (std::size_t g = 0; g < n_groups; ++g) {
    // pooled rate of the group over observed stations
    double pooled_count = 0.0;
    double pooled_exposure_h = 0.0;
    for (std::size_t s = 0; s < n_stations; ++s) {
      const std::size_t c = g * n_stations + s;
      if (exposure_h[c] >= min_exposure_h) {
        pooled_count += counts[c];
        pooled_exposure_h += exposure_h[c];
      }
    }
    const double pooled_rate = pooled_exposure_h > 0.0 ? pooled_count / pooled_exposure_h : kNan;
    // own rate where observed, pooled otherwise
    for (std::size_t s = 0; s < n_stations; ++s) {
      const std::size_t c = g * n_stations + s;
      if (exposure_h[c] >= min_exposure_h) {
        rates[c] = counts[c] / exposure_h[c];
      } else if (std::isnan(pooled_rate)) {
        ++n_unfilled;
      } else {
        rates[c] = pooled_rate;
        ++n_filled;
      }
    }
  }
  return rates;
}

/// Checks the options; throws std::invalid_argument naming the bad one.
void validate(const StatusSeries& series, const DemandOptions& options) {
  if (!(options.bin_s > 0.0) || std::fmod(86400.0, options.bin_s) != 0.0) {
    throw std::invalid_argument("DemandOptions::bin_s must be > 0 and divide 86400 (got " +
                                std::to_string(options.bin_s) + ")");
  }
  if (!(options.rebalancing_threshold_bikes > 0.0)) {
    throw std::invalid_argument("DemandOptions::rebalancing_threshold_bikes must be > 0 (got " +
                                std::to_string(options.rebalancing_threshold_bikes) + ")");
  }
  if (!(options.max_gap_s > 0.0)) throw std::invalid_argument("DemandOptions::max_gap_s must be > 0");
  if (!(options.hidden_turnover_per_h >= 0.0)) {
    throw std::invalid_argument("DemandOptions::hidden_turnover_per_h must be >= 0");
  }
  if (!(options.max_fit_ratio > 1.0 && options.max_fit_ratio < 2.0)) {
    throw std::invalid_argument("DemandOptions::max_fit_ratio must be in (1, 2)");
  }
  if (!(options.min_exposure_frac >= 0.0 && options.min_exposure_frac <= 1.0)) {
    throw std::invalid_argument("DemandOptions::min_exposure_frac must be in [0, 1]");
  }
  if (series.n_times() < 2) {
    throw std::invalid_argument("estimate_demand needs a series of at least 2 snapshots (got " +
                                std::to_string(series.n_times()) + ")");
  }
  if (series.bikes.size() != series.n_times() * series.n_stations()) {
    throw std::invalid_argument("StatusSeries::bikes must hold n_times * n_stations values");
  }
  for (std::size_t t = 1; t < series.n_times(); ++t) {
    if (series.time_s[t] <= series.time_s[t - 1]) throw std::invalid_argument("StatusSeries::time_s must increase");
  }
}

/// True when |change| of one interval marks an operator move (or either end is missing).
bool usable_step(double b0, double b1, double threshold) {
  return !std::isnan(b0) && !std::isnan(b1) && std::abs(b1 - b0) < threshold;
}

/// Fits kappa of f(gap) = 1 + kappa * gap_h: with true turnover T per hour, the observed
/// turnover rate at spacing g is L(g) = T / f(g); comparing L(g) with L(2g) on the intervals
/// no longer than the median gap gives r = L(g) / L(2g) = (1 + 2 kappa g) / (1 + kappa g).
double fit_kappa_per_h(const StatusSeries& series, const DemandOptions& options, double median_gap_s,
                       DemandReport& report) {
  const std::size_t n_stations = series.n_stations();
  double one_step_bikes = 0.0;
  double one_step_h = 0.0;
  double two_step_bikes = 0.0;
  double two_step_h = 0.0;
  std::int64_t n_pairs = 0;
  for (std::size_t t = 0; t + 2 < series.n_times(); ++t) {
    const double gap1_s = static_cast<double>(series.time_s[t + 1] - series.time_s[t]);
    const double gap2_s = static_cast<double>(series.time_s[t + 2] - series.time_s[t + 1]);
    if (gap1_s > median_gap_s || gap2_s > median_gap_s) continue;
    for (std::size_t s = 0; s < n_stations; ++s) {
      const double b0 = series.bikes[series.cell(t, s)];
      const double b1 = series.bikes[series.cell(t + 1, s)];
      const double b2 = series.bikes[series.cell(t + 2, s)];
      if (!usable_step(b0, b1, options.rebalancing_threshold_bikes) ||
          !usable_step(b1, b2, options.rebalancing_threshold_bikes)) {
        continue;
      }
      ++n_pairs;
      one_step_bikes += std::abs(b1 - b0) + std::abs(b2 - b1);
      one_step_h += (gap1_s + gap2_s) / 3600.0;
      two_step_bikes += std::abs(b2 - b0);
      two_step_h += (gap1_s + gap2_s) / 3600.0;
    }
  }
  if (one_step_bikes <= 0.0 || two_step_bikes <= 0.0) return kNan;
  // ratio of the turnover rates, capped below 2 (where kappa diverges)
  const double ratio = std::clamp((one_step_bikes / one_step_h) / (two_step_bikes / two_step_h), 1.0,
                                  options.max_fit_ratio);
  report.fit_ratio = ratio;
  const double mean_gap_h = one_step_h / (2.0 * static_cast<double>(n_pairs));
  return (ratio - 1.0) / (mean_gap_h * (2.0 - ratio));
}

}  // namespace

DemandEstimate estimate_demand(const StatusSeries& series, const DemandOptions& options) {
  validate(series, options);
  const std::size_t n_times = series.n_times();
  const std::size_t n_stations = series.n_stations();
  const bool has_docks = series.docks.size() == series.bikes.size();
  DemandEstimate estimate;
  DemandReport& report = estimate.report;
  estimate.bin_s = options.bin_s;
  estimate.station_id = series.station_id;
  const auto bin_len_s = static_cast<std::int64_t>(options.bin_s);
  // bins covering the series
  const auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); };
  estimate.start_s = floor_div(series.time_s.front(), bin_len_s) * bin_len_s;
  const std::int64_t end_s = (floor_div(series.time_s.back() - 1, bin_len_s) + 1) * bin_len_s;
  estimate.n_bins = static_cast<std::size_t>((end_s - estimate.start_s) / bin_len_s);
  const std::size_t n_cells = estimate.n_bins * n_stations;
  // median snapshot spacing
  std::vector<double> gaps_s;
  for (std::size_t t = 1; t < n_times; ++t) gaps_s.push_back(static_cast<double>(series.time_s[t] - series.time_s[t - 1]));
  std::nth_element(gaps_s.begin(), gaps_s.begin() + static_cast<std::ptrdiff_t>(gaps_s.size() / 2), gaps_s.end());
  report.median_gap_s = gaps_s[gaps_s.size() / 2];
  // hidden-turnover factor
  double kappa_per_h = 0.0;
  if (options.spacing == SpacingCorrection::kFixed) kappa_per_h = options.hidden_turnover_per_h;
  if (options.spacing == SpacingCorrection::kFitted) {
    const double fitted = fit_kappa_per_h(series, options, report.median_gap_s, report);
    report.spacing_fitted = !std::isnan(fitted);
    kappa_per_h = report.spacing_fitted ? fitted : options.hidden_turnover_per_h;
  }
  report.hidden_turnover_per_h = kappa_per_h;

  Accumulator bins(n_cells);
  Accumulator hours(24 * n_stations);
  estimate.rentals_lower_bound.assign(n_cells, 0.0);
  estimate.returns_lower_bound.assign(n_cells, 0.0);
  for (std::size_t t = 0; t + 1 < n_times; ++t) {
    const std::int64_t t0_s = series.time_s[t];
    const std::int64_t t1_s = series.time_s[t + 1];
    const double gap_s = static_cast<double>(t1_s - t0_s);
    const double gap_h = gap_s / 3600.0;
    for (std::size_t s = 0; s < n_stations; ++s) {
      ++report.n_intervals;
      const std::size_t c0 = series.cell(t, s);
      const std::size_t c1 = series.cell(t + 1, s);
      const double b0 = series.bikes[c0];
      const double b1 = series.bikes[c1];
      // unobserved intervals: a missing end, a long gap, an operator move
      if (std::isnan(b0) || std::isnan(b1)) {
        ++report.n_missing_intervals;
        continue;
      }
      if (gap_s > options.max_gap_s) {
        ++report.n_long_gaps;
        continue;
      }
      const double delta = b1 - b0;
      if (std::abs(delta) >= options.rebalancing_threshold_bikes) {
        ++report.n_rebalancing_moves;
        report.rebalanced_bikes += std::abs(delta);
        continue;
      }
      // lower bounds, plus hidden turnover split evenly (a hidden rental-return pair cancels)
      const double rentals_lb = std::max(-delta, 0.0);
      const double returns_lb = std::max(delta, 0.0);
      const double hidden = kappa_per_h * gap_h * (rentals_lb + returns_lb);
      const double rentals = rentals_lb + 0.5 * hidden;
      const double returns = returns_lb + 0.5 * hidden;
      report.rentals_lower_bound += rentals_lb;
      report.returns_lower_bound += returns_lb;
      // exposure: time not empty and renting (rentals), not full and returning (returns)
      const double empty_frac = 0.5 * ((b0 <= 0.0 ? 1.0 : 0.0) + (b1 <= 0.0 ? 1.0 : 0.0));
      const double full_frac =
          has_docks ? 0.5 * ((series.docks[c0] == 0.0 ? 1.0 : 0.0) + (series.docks[c1] == 0.0 ? 1.0 : 0.0)) : 0.0;
      const bool installed = flag_on(series.is_installed, c0);
      const double renting = installed && flag_on(series.is_renting, c0) ? 1.0 : 0.0;
      const double returning = installed && flag_on(series.is_returning, c0) ? 1.0 : 0.0;
      const double rental_exposure_h = gap_h * (1.0 - empty_frac) * renting;
      const double return_exposure_h = gap_h * (1.0 - full_frac) * returning;
      // spread over the bins by overlap
      for (std::int64_t bin_start_s = floor_div(t0_s, bin_len_s) * bin_len_s; bin_start_s < t1_s;
           bin_start_s += bin_len_s) {
        const double overlap_frac =
            static_cast<double>(std::min(t1_s, bin_start_s + bin_len_s) - std::max(t0_s, bin_start_s)) / gap_s;
        const auto b = static_cast<std::size_t>((bin_start_s - estimate.start_s) / bin_len_s);
        const std::size_t cell = b * n_stations + s;
        const std::int64_t local_s = bin_start_s + options.utc_offset_s;
        const auto hour = static_cast<std::size_t>((local_s % 86400 + 86400) % 86400 / 3600);
        const std::size_t hour_cell = hour * n_stations + s;
        estimate.rentals_lower_bound[cell] += overlap_frac * rentals_lb;
        estimate.returns_lower_bound[cell] += overlap_frac * returns_lb;
        for (auto [acc, index] : {std::pair<Accumulator*, std::size_t>{&bins, cell}, {&hours, hour_cell}}) {
          acc->rentals[index] += overlap_frac * rentals;
          acc->returns[index] += overlap_frac * returns;
          acc->rental_exposure_h[index] += overlap_frac * rental_exposure_h;
          acc->return_exposure_h[index] += overlap_frac * return_exposure_h;
        }
      }
    }
  }
  // rates, censored cells filled from the same bin at other stations
  const double min_bin_exposure_h = options.min_exposure_frac * options.bin_s / 3600.0;
  std::int64_t n_hour_filled = 0;
  std::int64_t n_hour_unfilled = 0;
  estimate.rentals = bins.rentals;
  estimate.returns = bins.returns;
  estimate.rental_rate_per_h = rates_with_fill(bins.rentals, bins.rental_exposure_h, estimate.n_bins, n_stations,
                                               min_bin_exposure_h, report.n_censored_rental_cells,
                                               report.n_unfilled_cells);
  estimate.return_rate_per_h = rates_with_fill(bins.returns, bins.return_exposure_h, estimate.n_bins, n_stations,
                                               min_bin_exposure_h, report.n_censored_return_cells,
                                               report.n_unfilled_cells);
  estimate.hourly_rental_rate_per_h = rates_with_fill(hours.rentals, hours.rental_exposure_h, 24, n_stations,
                                                      options.min_exposure_frac, n_hour_filled, n_hour_unfilled);
  estimate.hourly_return_rate_per_h = rates_with_fill(hours.returns, hours.return_exposure_h, 24, n_stations,
                                                      options.min_exposure_frac, n_hour_filled, n_hour_unfilled);
  return estimate;
}

double great_circle_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  const double to_rad = kPi / 180.0;
  const double dlat = (lat2_deg - lat1_deg) * to_rad;
  const double dlon = (lon2_deg - lon1_deg) * to_rad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1_deg * to_rad) * std::cos(lat2_deg * to_rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

DestinationMatrix gravity_destinations(const StationTable& stations, const std::vector<double>& attraction_per_h,
                                       double beta, const GravityOptions& options) {
  const std::size_t n = stations.n_stations();
  // arguments
  if (n > kMaxDenseStations) {
    throw std::invalid_argument("gravity_destinations: " + std::to_string(n) + " stations exceed kMaxDenseStations (" +
                                std::to_string(kMaxDenseStations) + "); split the network into zones");
  }
  if (attraction_per_h.size() != n) {
    throw std::invalid_argument("gravity_destinations: attraction_per_h has " + std::to_string(attraction_per_h.size()) +
                                " values for " + std::to_string(n) + " stations");
  }
  if (!(beta >= 0.0) || !std::isfinite(beta)) {
    throw std::invalid_argument("gravity_destinations: beta must be finite and >= 0 (got " + std::to_string(beta) + ")");
  }
  if (!(options.detour_factor >= 1.0) || !(options.min_distance_m > 0.0)) {
    throw std::invalid_argument("gravity_destinations: detour_factor must be >= 1 and min_distance_m > 0");
  }
  double total_attraction = 0.0;
  for (std::size_t d = 0; d < n; ++d) {
    if (!(attraction_per_h[d] >= 0.0) || !std::isfinite(attraction_per_h[d])) {
      throw std::invalid_argument("gravity_destinations: attraction_per_h[" + std::to_string(d) +
                                  "] must be finite and >= 0 (got " + std::to_string(attraction_per_h[d]) + ")");
    }
    total_attraction += attraction_per_h[d];
  }
  if (total_attraction <= 0.0) throw std::invalid_argument("gravity_destinations: attraction_per_h is all zero");
  // one row per origin: attraction * distance^-beta, normalised
  DestinationMatrix matrix;
  matrix.n_stations = n;
  matrix.probability.assign(n * n, 0.0);
  for (std::size_t o = 0; o < n; ++o) {
    double row_sum = 0.0;
    for (std::size_t d = 0; d < n; ++d) {
      if (d == o && !options.include_self) continue;
      const double distance_m =
          std::max(options.detour_factor *
                       great_circle_m(stations.lat_deg[o], stations.lon_deg[o], stations.lat_deg[d], stations.lon_deg[d]),
                   options.min_distance_m);
      const double weight = attraction_per_h[d] * std::pow(distance_m, -beta);
      matrix.probability[o * n + d] = weight;
      row_sum += weight;
    }
    if (!(row_sum > 0.0)) {
      throw std::invalid_argument("gravity_destinations: origin " + stations.station_id[o] +
                                  " has no other destination with attraction > 0");
    }
    for (std::size_t d = 0; d < n; ++d) matrix.probability[o * n + d] /= row_sum;
  }
  return matrix;
}

}  // namespace citytwin::bikeshare
