#include <citytwin/mobility/count_fit.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace citytwin::mobility {
namespace {

TEST(GehStatistic, HandCases) {
  // sqrt(2 * 20^2 / 180) = sqrt(800 / 180)
  EXPECT_NEAR(geh(100.0, 80.0), 2.1081851067789197, 1e-12);
  EXPECT_DOUBLE_EQ(geh(80.0, 100.0), geh(100.0, 80.0));
  EXPECT_DOUBLE_EQ(geh(0.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(geh(50.0, 50.0), 0.0);
  // sqrt(2 * 100^2 / 100) = sqrt(200)
  EXPECT_NEAR(geh(100.0, 0.0), std::sqrt(200.0), 1e-12);
}

TEST(CountFit, HandSeries) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> simulated{100.0, 80.0, 200.0, 0.0, 50.0};
  const std::vector<double> observed{80.0, 80.0, 100.0, 0.0, nan};
  const FitSummary fit = compare_flows(simulated, observed);
  EXPECT_EQ(fit.n_hours, 4);
  EXPECT_EQ(fit.n_hours_skipped, 1);
  ASSERT_EQ(fit.geh_per_hour.size(), 4u);
  // GEH: 2.108, 0, sqrt(2 * 100^2 / 300) = 8.165, 0 -> 3 of 4 below 5
  EXPECT_NEAR(fit.geh_per_hour[2], std::sqrt(20000.0 / 300.0), 1e-12);
  EXPECT_DOUBLE_EQ(fit.share_geh_below_5_frac, 0.75);
  // errors 20, 0, 100, 0: RMSE sqrt(10400 / 4), MAE 30
  EXPECT_NEAR(fit.rmse_veh_per_h, std::sqrt(2600.0), 1e-12);
  EXPECT_DOUBLE_EQ(fit.mae_veh_per_h, 30.0);
  // relative errors over C > 0: 0.25, 0, 1.0 -> mean 1.25 / 3
  EXPECT_NEAR(fit.mean_relative_error_frac, 1.25 / 3.0, 1e-12);
  // observed mean 65, SS_tot = 225 + 225 + 1225 + 4225 = 5900, SS_res = 10400
  EXPECT_DOUBLE_EQ(fit.mean_observed_veh_per_h, 65.0);
  EXPECT_NEAR(fit.r2, 1.0 - 10400.0 / 5900.0, 1e-12);
  const std::string table = fit.format();
  EXPECT_NE(table.find("fit summary"), std::string::npos);
  EXPECT_NE(table.find("share GEH < 5"), std::string::npos);
  EXPECT_NE(table.find("75.0000"), std::string::npos);
}

TEST(CountFit, PerfectFitAndBadArguments) {
  const std::vector<double> flows{10.0, 20.0, 30.0};
  const FitSummary fit = compare_flows(flows, flows);
  EXPECT_DOUBLE_EQ(fit.r2, 1.0);
  EXPECT_DOUBLE_EQ(fit.rmse_veh_per_h, 0.0);
  EXPECT_DOUBLE_EQ(fit.share_geh_below_5_frac, 1.0);
  EXPECT_THROW((void)compare_flows(flows, std::vector<double>{1.0}), std::invalid_argument);
  EXPECT_THROW((void)compare_flows(std::vector<double>{-1.0}, std::vector<double>{1.0}),
               std::invalid_argument);
}

TEST(CountFit, NearestLinkOnHandGeometry) {
  // three links: y = 0 (x 0..100), x = 50 (y 10..60), a far one
  const std::vector<LinkSegment> segments{
      {0, 0.0, 0.0, 100.0, 0.0}, {1, 50.0, 10.0, 50.0, 60.0}, {2, 500.0, 500.0, 600.0, 500.0}};
  EXPECT_DOUBLE_EQ(point_segment_distance(120.0, 0.0, 0.0, 0.0, 100.0, 0.0), 20.0);
  EXPECT_DOUBLE_EQ(point_segment_distance(30.0, 4.0, 0.0, 0.0, 100.0, 0.0), 4.0);
  const auto near_road = attach_counter_xy(segments, 30.0, 4.0, 25.0);
  ASSERT_TRUE(near_road.has_value());
  EXPECT_EQ(near_road->link_idx, 0);
  EXPECT_DOUBLE_EQ(near_road->distance_m, 4.0);
  // (53, 30) is 3 m from link 1 and 30 m from link 0
  const auto near_side = attach_counter_xy(segments, 53.0, 30.0, 25.0);
  ASSERT_TRUE(near_side.has_value());
  EXPECT_EQ(near_side->link_idx, 1);
  EXPECT_DOUBLE_EQ(near_side->distance_m, 3.0);
  EXPECT_FALSE(attach_counter_xy(segments, 300.0, 300.0, 25.0).has_value());
  EXPECT_THROW((void)attach_counter_xy(segments, 0.0, 0.0, -1.0), std::invalid_argument);
}

TEST(CountFit, NearestLinkInDegreesAndById) {
  // Champs-Elysees arc 4264 geo_shape and a parallel street 0.001 deg (~111 m) north
  const std::vector<LinkSegment> segments{
      {7, 2.3009951475338766, 48.87277704259844, 2.302450437378247, 48.87229471535591},
      {4, 2.3009951475338766, 48.87177704259844, 2.302450437378247, 48.87129471535591}};
  const auto match = attach_counter_lonlat(segments, 48.87153587897717, 2.3017227924560615, 30.0);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->link_idx, 4);
  EXPECT_LT(match->distance_m, 1.0);
  const std::vector<std::int64_t> link_ids{376, 4264, 12};
  EXPECT_EQ(attach_counter_by_id(link_ids, 4264), 1);
  EXPECT_FALSE(attach_counter_by_id(link_ids, 5).has_value());
}

}  // namespace
}  // namespace citytwin::mobility
