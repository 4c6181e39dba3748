#include <citytwin/bikeshare/demand_estimate.hpp>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/bikeshare/readers/gbfs.hpp>

#include "test_data.hpp"

namespace citytwin::bikeshare {
namespace {

constexpr double kCapacity = 10.0;

/// Builds a series from per-station bike counts (docks = capacity - bikes, all flags on).
StatusSeries make_series(const std::vector<std::int64_t>& time_s, const std::vector<std::vector<double>>& bikes) {
  StatusSeries series;
  series.time_s = time_s;
  for (std::size_t s = 0; s < bikes.size(); ++s) {
    series.station_id.push_back("s" + std::to_string(s));
    series.index_of.emplace(series.station_id.back(), static_cast<std::int32_t>(s));
  }
  series.bikes.assign(time_s.size() * bikes.size(), 0.0);
  series.docks.assign(time_s.size() * bikes.size(), 0.0);
  for (std::size_t t = 0; t < time_s.size(); ++t) {
    for (std::size_t s = 0; s < bikes.size(); ++s) {
      series.bikes[series.cell(t, s)] = bikes[s][t];
      series.docks[series.cell(t, s)] = kCapacity - bikes[s][t];
    }
  }
  return series;
}

/// Options without the hidden-turnover correction, so lower bounds are exact.
DemandOptions exact_options() {
  DemandOptions options;
  options.spacing = SpacingCorrection::kNone;
  return options;
}

TEST(DemandEstimate, LowerBoundsFromNetChange) {
  const StatusSeries series = make_series({0, 900, 1800, 2700}, {{5, 3, 6, 6}});
  const DemandEstimate estimate = estimate_demand(series, exact_options());
  ASSERT_EQ(estimate.n_bins, 3u);
  EXPECT_EQ(estimate.start_s, 0);
  // bin 0: 5 -> 3 is 2 rentals; bin 1: 3 -> 6 is 3 returns; bin 2: nothing
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[0], 2.0);
  EXPECT_DOUBLE_EQ(estimate.returns_lower_bound[0], 0.0);
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[1], 0.0);
  EXPECT_DOUBLE_EQ(estimate.returns_lower_bound[1], 3.0);
  EXPECT_DOUBLE_EQ(estimate.rental_rate_per_h[0], 8.0);
  EXPECT_DOUBLE_EQ(estimate.return_rate_per_h[1], 12.0);
  EXPECT_DOUBLE_EQ(estimate.return_rate_per_h[2], 0.0);
  EXPECT_DOUBLE_EQ(estimate.report.rentals_lower_bound, 2.0);
  EXPECT_DOUBLE_EQ(estimate.report.returns_lower_bound, 3.0);
  // hour 0 (UTC): 2 rentals over 0.75 h
  EXPECT_DOUBLE_EQ(estimate.hourly_rental_rate_per_h[0], 2.0 / 0.75);
}

TEST(DemandEstimate, IntervalSpreadOverBinsByOverlap) {
  // one 30-min interval, 4 rentals, over two 15-min bins
  const StatusSeries series = make_series({0, 1800}, {{6, 2}});
  const DemandEstimate estimate = estimate_demand(series, exact_options());
  ASSERT_EQ(estimate.n_bins, 2u);
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[0], 2.0);
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[1], 2.0);
}

TEST(DemandEstimate, EmptyStationRentalsAreCensoredAndFilled) {
  // station 0 is empty throughout; station 1 loses 2 then 1 bikes; station 2 empties half-way
  const StatusSeries series = make_series({0, 900, 1800}, {{0, 0, 0}, {4, 2, 1}, {2, 0, 0}});
  const DemandEstimate estimate = estimate_demand(series, exact_options());
  const std::size_t n = estimate.n_stations();
  // station 2, bin 0: 2 rentals while empty half of the time -> 2 / (0.25 h * 0.5)
  EXPECT_DOUBLE_EQ(estimate.rental_rate_per_h[0 * n + 2], 16.0);
  // station 0 takes the pooled rate of the observed stations in the same bin
  EXPECT_DOUBLE_EQ(estimate.rental_rate_per_h[0 * n + 0], (2.0 + 2.0) / (0.25 + 0.125));
  EXPECT_DOUBLE_EQ(estimate.rental_rate_per_h[1 * n + 0], 4.0);  // only station 1 observed
  EXPECT_DOUBLE_EQ(estimate.rental_rate_per_h[1 * n + 2], 4.0);
  EXPECT_EQ(estimate.report.n_censored_rental_cells, 3);
  // returns are not censored at an empty station
  EXPECT_DOUBLE_EQ(estimate.return_rate_per_h[0 * n + 0], 0.0);
  EXPECT_EQ(estimate.report.n_censored_return_cells, 0);
}

TEST(DemandEstimate, FullStationReturnsAreCensored) {
  const StatusSeries series = make_series({0, 900}, {{10, 10}, {5, 8}});
  const DemandEstimate estimate = estimate_demand(series, exact_options());
  EXPECT_DOUBLE_EQ(estimate.return_rate_per_h[0], 12.0);  // from station 1
  EXPECT_EQ(estimate.report.n_censored_return_cells, 1);
}

TEST(DemandEstimate, RebalancingJumpIsExcluded) {
  const StatusSeries series = make_series({0, 900, 1800}, {{2, 12, 11}});
  DemandOptions options = exact_options();
  options.rebalancing_threshold_bikes = 8.0;
  const DemandEstimate estimate = estimate_demand(series, options);
  EXPECT_EQ(estimate.report.n_rebalancing_moves, 1);
  EXPECT_DOUBLE_EQ(estimate.report.rebalanced_bikes, 10.0);
  EXPECT_DOUBLE_EQ(estimate.returns_lower_bound[0], 0.0);
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[1], 1.0);
  // bin 0 is unobserved and no other station can fill it
  EXPECT_TRUE(std::isnan(estimate.return_rate_per_h[0]));
  EXPECT_EQ(estimate.report.n_unfilled_cells, 2);
}

TEST(DemandEstimate, FixedHiddenTurnoverAddsEvenPairs) {
  const StatusSeries series = make_series({0, 1800}, {{6, 4}});
  DemandOptions options;
  options.bin_s = 1800.0;
  options.spacing = SpacingCorrection::kFixed;
  options.hidden_turnover_per_h = 2.0;
  const DemandEstimate estimate = estimate_demand(series, options);
  // hidden = 2/h * 0.5 h * 2 bikes = 2, half to each side
  EXPECT_DOUBLE_EQ(estimate.rentals[0], 3.0);
  EXPECT_DOUBLE_EQ(estimate.returns[0], 1.0);
  EXPECT_DOUBLE_EQ(estimate.rentals_lower_bound[0], 2.0);
}

TEST(DemandEstimate, FittedHiddenTurnoverFromOneAndTwoStepDifferences) {
  // one-step turnover 9 bikes, two-step 7 over the same time: r = 9/7, g = 1/6 h
  const StatusSeries series = make_series({0, 600, 1200, 1800, 2400}, {{5, 6, 5, 5, 5}, {5, 6, 7, 8, 9}});
  const DemandEstimate estimate = estimate_demand(series);
  EXPECT_TRUE(estimate.report.spacing_fitted);
  EXPECT_DOUBLE_EQ(estimate.report.median_gap_s, 600.0);
  EXPECT_NEAR(estimate.report.fit_ratio, 9.0 / 7.0, 1e-12);
  EXPECT_NEAR(estimate.report.hidden_turnover_per_h, 2.4, 1e-12);
}

TEST(DemandEstimate, RealOsloDay) {
  CITYTWIN_DATA_FILE(folder, "gbfs/oslo-bysykkel/station_status/2022-10-24");
  const StatusSeries series = read_station_status_folder(folder);
  DemandOptions options;
  options.utc_offset_s = 7200;  // CEST on 2022-10-24
  const DemandEstimate estimate = estimate_demand(series, options);
  // the last snapshot lies 17 s into its bin: too little to observe, so that bin is NaN
  // for every station (rentals and returns); every other rate is finite and >= 0
  const std::size_t n = estimate.n_stations();
  EXPECT_EQ(estimate.report.n_unfilled_cells, static_cast<std::int64_t>(2 * n));
  for (std::size_t c = 0; c < estimate.rental_rate_per_h.size(); ++c) {
    const double rate = estimate.rental_rate_per_h[c];
    if (c / n + 1 == estimate.n_bins) {
      ASSERT_TRUE(std::isnan(rate));
      continue;
    }
    ASSERT_TRUE(std::isfinite(rate)) << "cell " << c;
    ASSERT_GE(rate, 0.0);
  }
  std::cout << "oslo 2022-10-24: moves " << estimate.report.n_rebalancing_moves << ", rebalanced bikes "
            << estimate.report.rebalanced_bikes << ", rentals lb " << estimate.report.rentals_lower_bound
            << ", returns lb " << estimate.report.returns_lower_bound << ", kappa/h "
            << estimate.report.hidden_turnover_per_h << " (ratio " << estimate.report.fit_ratio << "), median gap s "
            << estimate.report.median_gap_s << ", censored rental cells " << estimate.report.n_censored_rental_cells
            << ", censored return cells " << estimate.report.n_censored_return_cells << "\n";
  EXPECT_GT(estimate.report.rentals_lower_bound, 100.0);
  EXPECT_GE(estimate.report.hidden_turnover_per_h, 0.0);
  EXPECT_EQ(estimate.report.n_missing_intervals, 0);
}

/// Three stations on a parallel of latitude, at increasing distance from station 0.
StationTable line_of_stations() {
  StationTable table;
  const std::vector<double> lon_deg{24.90, 24.91, 24.95};
  for (std::size_t i = 0; i < lon_deg.size(); ++i) {
    table.station_id.push_back("g" + std::to_string(i));
    table.index_of.emplace(table.station_id.back(), static_cast<std::int32_t>(i));
    table.lat_deg.push_back(60.17);
    table.lon_deg.push_back(lon_deg[i]);
  }
  return table;
}

TEST(GravityDestinations, RowsSumToOneAndDecreaseWithDistance) {
  const StationTable table = line_of_stations();
  const DestinationMatrix matrix = gravity_destinations(table, {1.0, 1.0, 1.0}, 1.5);
  for (std::size_t o = 0; o < 3; ++o) {
    double row_sum = 0.0;
    for (std::size_t d = 0; d < 3; ++d) row_sum += matrix.at(o, d);
    EXPECT_NEAR(row_sum, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(matrix.at(o, o), 0.0);
  }
  EXPECT_GT(matrix.at(0, 1), matrix.at(0, 2));
  // closed form: weights d^-beta for the two detoured distances
  const double d1 = 1.3 * great_circle_m(60.17, 24.90, 60.17, 24.91);
  const double d2 = 1.3 * great_circle_m(60.17, 24.90, 60.17, 24.95);
  EXPECT_NEAR(matrix.at(0, 1), std::pow(d1, -1.5) / (std::pow(d1, -1.5) + std::pow(d2, -1.5)), 1e-12);
  // beta 0: attraction only
  const DestinationMatrix flat = gravity_destinations(table, {1.0, 1.0, 3.0}, 0.0);
  EXPECT_NEAR(flat.at(0, 2), 0.75, 1e-12);
  EXPECT_THROW((void)gravity_destinations(table, {1.0, 1.0}, 1.0), std::invalid_argument);
}

TEST(GravityDestinations, GreatCircleOfOneDegreeOfLatitude) {
  EXPECT_NEAR(great_circle_m(60.0, 24.0, 61.0, 24.0), 111195.0, 1.0);
}

}  // namespace
}  // namespace citytwin::bikeshare
