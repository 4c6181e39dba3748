#include <citytwin/energy/readers/household_meter.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::energy {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUciFile =
    "energy/household/uci_household_power_sceaux_2006-12-16_to_2006-12-27.txt";
constexpr const char* kHeader =
    "Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;"
    "Sub_metering_1;Sub_metering_2;Sub_metering_3\r\n";

// 16/12/2006 17:24 CET (UTC+1) = 16:24 UTC; 18:00 CET, the first full hour; 21/12 11:23 CET
constexpr std::int64_t kFirstUtcS = 1166286240;
constexpr std::int64_t kFirstFullHourUtcS = 1166288400;
constexpr std::int64_t kFirstMissingUtcS = 1166696580;

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("citytwin_household_meter_" + name + ".txt");
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(HouseholdMeter, ReadsTheUciFile) {
  CITYTWIN_DATA_FILE(path, kUciFile);
  const MeterSeries s = read_household_meter(path, "Europe/Paris");
  ASSERT_EQ(s.size(), 15922U);
  EXPECT_EQ(s.time_utc_s.front(), kFirstUtcS);
  EXPECT_EQ(s.time_utc_s.back(), kFirstUtcS + 15921 * 60);  // no absent minute in the file
  EXPECT_DOUBLE_EQ(s.active_kw.front(), 4.216);
  EXPECT_DOUBLE_EQ(s.reactive_kvar.front(), 0.418);
  EXPECT_DOUBLE_EQ(s.voltage_v.front(), 234.840);

  // the two `?` rows of 21/12/2006 11:23 and 11:24 local time
  EXPECT_EQ(s.n_missing, 2);
  EXPECT_EQ(s.first_missing_utc_s, kFirstMissingUtcS);
  EXPECT_TRUE(std::isnan(s.active_kw[6839]));
  EXPECT_TRUE(std::isnan(s.active_kw[6840]));
  EXPECT_TRUE(std::isnan(s.reactive_kvar[6840]));
  EXPECT_FALSE(std::isnan(s.active_kw[6841]));
}

TEST(HouseholdMeter, FirstFullHourMeanMatchesAnIndependentParse) {
  CITYTWIN_DATA_FILE(path, kUciFile);

  // independent parse: rows 18:00..18:59 of 16/12/2006, a plain split of the text
  std::ifstream in(path);
  std::string line;
  double sum_kw = 0.0;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind("16/12/2006;18:", 0) != 0) continue;
    std::stringstream fields(line);
    std::string date, time, active;
    std::getline(fields, date, ';');
    std::getline(fields, time, ';');
    std::getline(fields, active, ';');
    sum_kw += std::stod(active);
    ++n;
  }
  ASSERT_EQ(n, 60);
  const double expected_kw = sum_kw / 60.0;
  EXPECT_NEAR(expected_kw, 3.6322, 1e-12);

  const MeterSeries s = read_household_meter(path, "Europe/Paris");
  const ResampledSeries r = resample_mean(s, kFirstFullHourUtcS, 3600, 1);
  ASSERT_EQ(r.active_kw.size(), 1U);
  EXPECT_NEAR(r.active_kw[0], expected_kw, 1e-12);
  EXPECT_NEAR(r.reactive_kvar[0], 0.0800333333333333, 1e-12);
  EXPECT_EQ(r.missing_frac[0], 0.0);
}

TEST(HouseholdMeter, ResamplingFindsTheGap) {
  CITYTWIN_DATA_FILE(path, kUciFile);
  const MeterSeries s = read_household_meter(path, "Europe/Paris");
  // 11 days of hours from 16/12 18:00 local: all full except 21/12 11:00 local (step 113)
  const ResampledSeries r = resample_mean(s, kFirstFullHourUtcS, 3600, 264);
  const MissingReport report = missing_report(s, r);
  EXPECT_EQ(report.n_missing, 2);
  EXPECT_EQ(report.first_missing_utc_s, kFirstMissingUtcS);
  ASSERT_EQ(report.n_steps_with_gap, 1);
  EXPECT_EQ(report.gap_step_idx[0], 113);
  EXPECT_NEAR(r.missing_frac[113], 2.0 / 60.0, 1e-15);
  EXPECT_NEAR(r.active_kw[113], 0.5346551724137931, 1e-12);
  EXPECT_EQ(format_missing_report(report, 264),
            "2 missing readings (first 2006-12-21T10:23:00Z), 1 of 264 steps with gaps");

  // steps outside the file are fully missing, with NaN means
  const ResampledSeries before = resample_mean(s, kFirstFullHourUtcS - 7200, 3600, 2);
  EXPECT_EQ(before.missing_frac[0], 1.0);
  EXPECT_TRUE(std::isnan(before.active_kw[0]));
  EXPECT_NEAR(before.missing_frac[1], 24.0 / 60.0, 1e-15);  // 17:24..17:59 present
}

TEST(HouseholdMeter, MalformedLinesNameFileLineColumnAndField) {
  const fs::path path = write_file(
      "bad", std::string(kHeader) +
                 "16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000\r\n"
                 "16/12/2006;17:25:00;5.360;0.436;23x.630;23.000;0.000;1.000;16.000\r\n"
                 "32/12/2006;17:26:00;5.374;0.498;233.290;23.000;0.000;2.000;17.000\r\n"
                 "16/12/2006;17:27:00;5.388;0.502\r\n");
  try {
    (void)read_household_meter(path, "Europe/Paris");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.issues().size(), 3U);
    EXPECT_EQ(e.issues()[0].file, path.string());
    EXPECT_EQ(e.issues()[0].line, 3);
    EXPECT_EQ(e.issues()[0].column, 33);
    EXPECT_EQ(e.issues()[0].key, "Voltage");
    EXPECT_NE(std::string(e.what()).find("23x.630"), std::string::npos);
    EXPECT_EQ(e.issues()[1].line, 4);
    EXPECT_EQ(e.issues()[1].column, 1);
    EXPECT_EQ(e.issues()[1].key, "Date");
    EXPECT_NE(e.issues()[1].message.find("dd/mm/yyyy"), std::string::npos);
    EXPECT_EQ(e.issues()[2].line, 5);
    EXPECT_NE(e.issues()[2].message.find("found 4"), std::string::npos);
  }
}

TEST(HouseholdMeter, WrongHeaderAndArgumentsAreRejected) {
  const fs::path path = write_file("header", "Date;Time;Power\n16/12/2006;17:24:00;1\n");
  try {
    (void)read_household_meter(path, "Europe/Paris");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.first().line, 1);
    EXPECT_EQ(e.first().column, 11);
    EXPECT_EQ(e.first().key, "Global_active_power");
  }
  EXPECT_THROW((void)read_household_meter(path, "Europe/Nowhere"), std::invalid_argument);
  EXPECT_THROW((void)read_household_meter(fs::path("/nonexistent/meter.txt"), "UTC"), InputError);
  EXPECT_THROW((void)resample_mean(MeterSeries{}, 0, 90, 1), std::invalid_argument);
}

TEST(HouseholdMeter, NonexistentLocalTimeIsAnError) {
  // 26/03/2006 02:30 does not exist in Paris (clocks jump from 02:00 to 03:00)
  const fs::path path = write_file(
      "dst", std::string(kHeader) +
                 "26/03/2006;01:59:00;1.0;0.1;230.0;4.0;0.0;0.0;0.0\n"
                 "26/03/2006;02:30:00;1.0;0.1;230.0;4.0;0.0;0.0;0.0\n"
                 "26/03/2006;03:00:00;1.0;0.1;230.0;4.0;0.0;0.0;0.0\n");
  try {
    (void)read_household_meter(path, "Europe/Paris");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.first().line, 3);
    EXPECT_EQ(e.first().key, "Time");
  }
  // the same rows without the bad one: one hour apart in local time, one minute in UTC
  const fs::path ok = write_file(
      "dst_ok", std::string(kHeader) +
                    "26/03/2006;01:59:00;1.0;0.1;230.0;4.0;0.0;0.0;0.0\n"
                    "26/03/2006;03:00:00;3.0;?;230.0;4.0;0.0;0.0;\n");
  const MeterSeries s = read_household_meter(ok, "Europe/Paris");
  ASSERT_EQ(s.size(), 2U);
  EXPECT_EQ(s.time_utc_s[1] - s.time_utc_s[0], 60);
  EXPECT_EQ(s.n_missing, 0);
  EXPECT_TRUE(std::isnan(s.reactive_kvar[1]));
}

}  // namespace
}  // namespace citytwin::energy
