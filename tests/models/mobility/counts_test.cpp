#include <citytwin/mobility/readers/counts.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::mobility {
namespace {

/// Index of `time_utc_s` in a counter's time axis, or -1.
std::int64_t hour_index(const CountSeries& series, std::size_t counter_idx, std::int64_t time_utc_s) {
  const auto& axis = series.time_utc_s[counter_idx];
  const auto it = std::lower_bound(axis.begin(), axis.end(), time_utc_s);
  return it != axis.end() && *it == time_utc_s ? it - axis.begin() : -1;
}

/// Writes `text` to a scratch file and returns its path.
std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(CountsReader, ParisArchiveRealFile) {
  CITYTWIN_DATA_FILE(path, "counts/paris/paris_comptage_routier_arc376_st_antoine_2022_archive.csv");
  const CountSeries series = read_paris_archive(path);
  ASSERT_EQ(series.n_counters(), 1u);
  EXPECT_EQ(series.counter_id[0], "376");
  EXPECT_EQ(series.counter_name[0], "St_Antoine");
  EXPECT_EQ(series.mode[0], CountMode::kCar);
  EXPECT_TRUE(std::isnan(series.lat_deg[0]));
  // 8 635 rows; the non-existent 2022-03-27 02:00 (empty) is dropped
  EXPECT_EQ(series.report.n_data_rows, 8635);
  EXPECT_EQ(series.report.n_nonexistent_local, 1);
  EXPECT_EQ(series.report.n_values_dropped, 0);
  EXPECT_EQ(series.report.n_ambiguous_local, 1);
  EXPECT_EQ(series.report.n_duplicate_times, 0);
  EXPECT_EQ(series.report.n_reordered, 1);  // the archive is not in time order
  ASSERT_EQ(series.time_utc_s[0].size(), 8634u);
  EXPECT_TRUE(std::is_sorted(series.time_utc_s[0].begin(), series.time_utc_s[0].end()));
  EXPECT_EQ(series.report.n_missing_flow, 176);
  EXPECT_EQ(series.report.n_missing_occupancy, 178);
  // earliest: 2022-01-01 01:00 CET = 00:00Z; latest: 2023-01-01 00:00 CET = 2022-12-31T23:00Z
  EXPECT_EQ(series.time_utc_s[0].front(), 1640995200);
  EXPECT_EQ(series.time_utc_s[0].back(), 1672527600);
  // repeated October hour: 02:00 is read as CEST (00:00Z), 03:00 CET is 02:00Z, 01:00Z is absent
  const std::int64_t oct_0200 = hour_index(series, 0, 1667088000);
  ASSERT_GE(oct_0200, 0);
  const auto i = static_cast<std::size_t>(oct_0200);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[0][i], 149.0);
  EXPECT_EQ(series.time_utc_s[0][i + 1], 1667088000 + 7200);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[0][i + 1], 105.0);
  EXPECT_EQ(hour_index(series, 0, 1667088000 + 3600), -1);
  // 2022-06-15 08:00 CEST (06:00Z): q 149, k 16.92333 %
  const std::int64_t june = hour_index(series, 0, 1655272800);
  ASSERT_GE(june, 0);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[0][static_cast<std::size_t>(june)], 149.0);
  EXPECT_NEAR(series.occupancy_frac[0][static_cast<std::size_t>(june)], 0.1692333, 1e-9);
}

TEST(CountsReader, ParisExportRealFile) {
  CITYTWIN_DATA_FILE(path, "counts/paris/paris_comptage_routier_arc4264_champs_elysees_2023-11_2024-11_export.csv");
  const CountSeries series = read_paris_export(path);
  ASSERT_EQ(series.n_counters(), 1u);
  EXPECT_EQ(series.counter_id[0], "4264");  // BOM removed from the first header name
  EXPECT_EQ(series.counter_name[0], "AV_Champs_Elysees");
  EXPECT_EQ(series.report.n_data_rows, 8412);
  EXPECT_EQ(series.report.n_duplicate_times, 0);
  EXPECT_EQ(series.report.n_reordered, 1);
  EXPECT_EQ(series.report.n_missing_flow, 319);
  EXPECT_EQ(series.report.n_missing_occupancy, 379);
  const auto& axis = series.time_utc_s[0];
  ASSERT_EQ(axis.size(), 8412u);
  EXPECT_TRUE(std::is_sorted(axis.begin(), axis.end()));
  // 2023-11-01T04:00:00+01:00 and 2024-12-06T00:00:00+01:00
  EXPECT_EQ(axis.front(), 1698807600);
  EXPECT_EQ(axis.back(), 1733439600);
  EXPECT_NEAR(series.lat_deg[0], 48.87153587897717, 1e-12);
  EXPECT_NEAR(series.lon_deg[0], 2.3017227924560615, 1e-12);
  // 2024-01-04T22:00:00+01:00 (21:00Z): 1034 veh/h, 22.86333 %
  const std::int64_t idx = hour_index(series, 0, 1704402000);
  ASSERT_GE(idx, 0);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[0][static_cast<std::size_t>(idx)], 1034.0);
  EXPECT_NEAR(series.occupancy_frac[0][static_cast<std::size_t>(idx)], 0.2286333, 1e-9);
  // read_counts detects the layout
  EXPECT_EQ(read_counts(path).time_utc_s[0], axis);
}

TEST(CountsReader, HelsinkiBikeCountsRealFile) {
  CITYTWIN_DATA_FILE(path, "counts/helsinki/helsingin_pyorailijamaarat.csv");
  const CountSeries series = read_counts(path);
  ASSERT_EQ(series.n_counters(), 20u);
  EXPECT_EQ(series.counter_id[0], "Auroransilta");
  EXPECT_EQ(series.counter_id[1], "Etel\xC3\xA4" "esplanadi");
  EXPECT_EQ(series.counter_id[19], "Baana");
  EXPECT_EQ(series.mode[5], CountMode::kBike);
  EXPECT_EQ(series.report.n_data_rows, 37128);
  EXPECT_EQ(series.report.n_empty_rows_skipped, 38);
  // 5 spring-forward hours (2014-2018) dropped with 51 values; 4 autumn hours ambiguous
  EXPECT_EQ(series.report.n_nonexistent_local, 5);
  EXPECT_EQ(series.report.n_values_dropped, 51);
  EXPECT_EQ(series.report.n_ambiguous_local, 4);
  EXPECT_TRUE(series.occupancy_frac[0].empty());
  ASSERT_EQ(series.time_utc_s[0].size(), 37123u);
  // "ke 1 tammi 2014 00:00" EET (UTC+2) = 2014-01-01T00:00Z - 7200 s = 1388527200
  EXPECT_EQ(series.time_utc_s[0].front(), 1388527200);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[1][0], 7.0);
  EXPECT_TRUE(std::isnan(series.flow_veh_per_h[0][0]));
  // "ma 15 touko 2017 08:00" EEST (UTC+3) = 2017-05-15T05:00Z: Eteläesplanadi 255, Auroransilta empty
  const std::int64_t idx = hour_index(series, 1, 1494824400);
  ASSERT_GE(idx, 0);
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[1][static_cast<std::size_t>(idx)], 255.0);
  EXPECT_TRUE(std::isnan(series.flow_veh_per_h[0][static_cast<std::size_t>(idx)]));
  EXPECT_DOUBLE_EQ(series.flow_veh_per_h[19][static_cast<std::size_t>(idx)], 520.0);
}

TEST(CountsReader, MalformedDateNamesLineColumnAndField) {
  const auto path = write_temp("citytwin_counts_bad_date.csv",
                               "iu_ac,libelle,t_1h,q,k\n376,St_Antoine,2022-03-09 16:00:00,10,1.5\n"
                               "376,St_Antoine,2022-13-09 17:00:00,12,2\n");
  try {
    (void)read_paris_archive(path);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().line, 3);
    EXPECT_EQ(error.first().column, 16);
    EXPECT_EQ(error.first().key, "t_1h");
    EXPECT_NE(std::string(error.what()).find("YYYY-MM-DD HH:MM:SS"), std::string::npos);
  }
}

TEST(CountsReader, FinnishWeekdayMismatchIsAnError) {
  const auto path = write_temp("citytwin_counts_bad_fi.csv",
                               "P\xC3\xA4iv\xC3\xA4m\xC3\xA4\xC3\xA4r\xC3\xA4;A;B;\r\n"
                               "ti 1 tammi 2014 00:00;1;2;\r\n");
  try {
    (void)read_counts(path);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().line, 2);
    EXPECT_EQ(error.first().column, 1);
    EXPECT_NE(std::string(error.what()).find("does not match the date"), std::string::npos);
  }
}

TEST(CountsReader, WrongDelimiterIsNamed) {
  const auto path = write_temp("citytwin_counts_semicolon.csv",
                               "iu_ac;libelle;t_1h;q;k\n376;St_Antoine;2022-03-09 16:00:00;10;1.5\n");
  try {
    (void)read_paris_archive(path);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().line, 1);
    EXPECT_EQ(error.first().key, "header");
    EXPECT_NE(std::string(error.what()).find("wrong delimiter"), std::string::npos);
  }
}

TEST(CountsReader, BadNumberAndUnknownLayout) {
  const auto bad_q = write_temp("citytwin_counts_bad_q.csv",
                                "iu_ac,libelle,t_1h,q,k\n376,St_Antoine,2022-03-09 16:00:00,ten,1.5\n");
  try {
    (void)read_paris_archive(bad_q);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().key, "q");
    EXPECT_EQ(error.first().line, 2);
    EXPECT_EQ(error.first().column, 36);
  }
  const auto unknown = write_temp("citytwin_counts_unknown.csv", "a,b,c\n1,2,3\n");
  EXPECT_THROW((void)read_counts(unknown), InputError);
}

}  // namespace
}  // namespace citytwin::mobility
