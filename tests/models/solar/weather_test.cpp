#include <citytwin/solar/readers/weather.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "sim_test.hpp"
#include "test_data.hpp"

namespace citytwin::solar {
namespace {

constexpr std::string_view kLyonFile = "weather/FRA_AR_Lyon-Bron.AP.074800_TMYx.2004-2018.epw";
constexpr std::string_view kPvgisFile = "weather/PVGIS_tmy_45.000_8.000_2005_2023.epw";

// the row of 21 June, hour 13: 24 (31 + 28 + 31 + 30 + 31 + 20) + 12 (0-based; file line 4125)
constexpr std::size_t kJune21Hour13 = 4116;
// the first June row with GHI > 0 in the Lyon file (file line 3638: 2018,6,1,6)
constexpr std::size_t kLyonFirstJuneDaylight = 3629;
// the first June row with GHI > 0 in the PVGIS file (file line 3637: 2006,6,1,5)
constexpr std::size_t kPvgisFirstJuneDaylight = 3628;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

WeatherReadOptions with_policy(TimeZonePolicy policy) {
  WeatherReadOptions options;
  options.time_zone_policy = policy;
  return options;
}

// a synthetic EPW: 8 header lines (UTC+1 at 45 N 5 E) and the data periods line given
std::string epw_header(std::string_view data_periods = "DATA PERIODS,1,1,Data,Sunday, 1/ 1, 1/ 1") {
  return "LOCATION,Testville,-,FRA,test,000000,45.0,5.0,1.0,200.0\n"
         "DESIGN CONDITIONS,0\nTYPICAL/EXTREME PERIODS,0\nGROUND TEMPERATURES,0\n"
         "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0\nCOMMENTS 1,test\nCOMMENTS 2,test\n" +
         std::string(data_periods) + "\n";
}

// one synthetic EPW row of 35 fields: dry bulb 5.0 C, pressure 100000 Pa, GHI = DHI = `ghi`,
// DNI 0, wind 2.0 m/s, albedo 0.2
std::string epw_row(int year, int month, int day, int hour, std::string_view ghi = "0") {
  const std::string g(ghi);
  return std::to_string(year) + "," + std::to_string(month) + "," + std::to_string(day) + "," +
         std::to_string(hour) + ",60,?9?9,5.0,1.0,80,100000,0,0,300," + g + ",0," + g +
         ",0,0,0,0,180,2.0,5,5,10.0,77777,9,999999999,10,0.1,0,88,0.2,0.0,0.0\n";
}

// 24 synthetic rows of 1 January 2001
std::string epw_day() {
  std::string rows;
  for (int hour = 1; hour <= 24; ++hour) rows += epw_row(2001, 1, 1, hour);
  return rows;
}

TEST(EpwReader, LyonHeaderAndRows) {
  CITYTWIN_DATA_FILE(path, kLyonFile);
  const WeatherSeries s = read_epw(path);
  // LOCATION,Lyon Bron AP,AR,FRA,ISD-TMYx,074800,45.72610,4.93780,1.0,198.0
  EXPECT_EQ(s.source_format, WeatherFormat::kEpw);
  EXPECT_EQ(s.station_name, "Lyon Bron AP");
  EXPECT_EQ(s.city, "Lyon Bron AP");
  EXPECT_EQ(s.region, "AR");
  EXPECT_EQ(s.country, "FRA");
  EXPECT_EQ(s.data_source, "ISD-TMYx");
  EXPECT_EQ(s.station_id, "074800");
  EXPECT_DOUBLE_EQ(s.latitude_deg, 45.7261);
  EXPECT_DOUBLE_EQ(s.longitude_deg, 4.9378);
  EXPECT_DOUBLE_EQ(s.utc_offset_h, 1.0);
  EXPECT_DOUBLE_EQ(s.applied_utc_offset_h, 1.0);
  EXPECT_DOUBLE_EQ(s.elevation_m, 198.0);
  EXPECT_EQ(s.interval_s, 3600);
  EXPECT_EQ(s.size(), 8760u);
  // months from 2004..2018 (COMMENTS 1): a typical year
  EXPECT_TRUE(s.typical_year);
  EXPECT_EQ(s.year.front(), 2004);
  EXPECT_EQ(s.year[kJune21Hour13], 2018);
  EXPECT_EQ(s.year.back(), 2006);
  // first row: 2004-01-01 hour 1 ends 01:00 UTC+1 = 00:00 UTC
  EXPECT_EQ(s.time_utc_s.front(), 1072915200);
  // 2018,6,1,6,60,...,17.3,13.8,80,99691,105,682,340,20,0,20,...,333,0.8,...,0.200,...
  const std::size_t i = kLyonFirstJuneDaylight;
  EXPECT_EQ(s.year[i], 2018);
  EXPECT_EQ(s.time_utc_s[i], 1527829200);  // 2018-06-01 06:00 UTC+1 = 05:00 UTC
  EXPECT_DOUBLE_EQ(s.ghi_wm2[i], 20.0);
  EXPECT_DOUBLE_EQ(s.dni_wm2[i], 0.0);
  EXPECT_DOUBLE_EQ(s.dhi_wm2[i], 20.0);
  EXPECT_DOUBLE_EQ(s.temp_air_c[i], 17.3);
  EXPECT_DOUBLE_EQ(s.pressure_pa[i], 99691.0);
  EXPECT_DOUBLE_EQ(s.wind_speed_mps[i], 0.8);
  EXPECT_DOUBLE_EQ(s.albedo_frac[i], 0.2);
  // 2018,6,21,13,60,...,29.6,17.1,47,99379,1222,1322,410,928,804,185,...,330,3.6,...,0.200,...
  const std::size_t j = kJune21Hour13;
  EXPECT_EQ(s.time_utc_s[j], 1529582400);  // 2018-06-21 13:00 UTC+1 = 12:00 UTC
  EXPECT_DOUBLE_EQ(s.ghi_wm2[j], 928.0);
  EXPECT_DOUBLE_EQ(s.dni_wm2[j], 804.0);
  EXPECT_DOUBLE_EQ(s.dhi_wm2[j], 185.0);
  EXPECT_DOUBLE_EQ(s.temp_air_c[j], 29.6);
  EXPECT_DOUBLE_EQ(s.wind_speed_mps[j], 3.6);
  // nothing is missing in this file
  EXPECT_EQ(s.missing.ghi + s.missing.dni + s.missing.dhi + s.missing.temp_air +
                s.missing.wind_speed + s.missing.albedo + s.missing.pressure,
            0);
}

TEST(EpwReader, AnnualGhiSums) {
  // computed independently from the raw text:
  //   awk -F, 'NR>8{s+=$14} END{printf "%.6f\n", s/1000}' <file>
  // gives 1320.954000 (Lyon) and 1435.861000 (PVGIS) kWh/m^2 (hourly Wh/m^2 values)
  CITYTWIN_DATA_FILE(lyon_path, kLyonFile);
  CITYTWIN_DATA_FILE(pvgis_path, kPvgisFile);
  const auto annual_kwh_m2 = [](const WeatherSeries& s) {
    double sum_wh_m2 = 0.0;
    for (const double ghi_wm2 : s.ghi_wm2)
      sum_wh_m2 += ghi_wm2 * static_cast<double>(s.interval_s) / 3600.0;
    return sum_wh_m2 / 1000.0;
  };
  EXPECT_NEAR(annual_kwh_m2(read_epw(lyon_path)), 1320.954, 1e-9 /* summation order */);
  EXPECT_NEAR(annual_kwh_m2(read_epw(pvgis_path, with_policy(TimeZonePolicy::kDetect))), 1435.861,
              1e-9 /* summation order */);
}

TEST(EpwReader, PvgisRowsMissingAlbedoAndNegativeZero) {
  CITYTWIN_DATA_FILE(path, kPvgisFile);
  const WeatherSeries s = read_epw(path, with_policy(TimeZonePolicy::kDeclared));
  // LOCATION,unknown,-,unknown,ECMWF/ERA,unknown,45.000000,8.000000,1,250
  EXPECT_EQ(s.station_name, "unknown");
  EXPECT_EQ(s.data_source, "ECMWF/ERA");
  EXPECT_DOUBLE_EQ(s.latitude_deg, 45.0);
  EXPECT_DOUBLE_EQ(s.longitude_deg, 8.0);
  EXPECT_DOUBLE_EQ(s.utc_offset_h, 1.0);
  EXPECT_DOUBLE_EQ(s.elevation_m, 250.0);
  EXPECT_EQ(s.size(), 8760u);
  EXPECT_TRUE(s.typical_year);
  EXPECT_FALSE(s.time_zone_check.has_value());  // "declared" runs no check
  // the albedo column is the missing code 999 throughout (weather/SOURCES.md)
  EXPECT_EQ(s.missing.albedo, 8760);
  EXPECT_TRUE(std::isnan(s.albedo_frac[0]));
  // first row: 2018,1,1,1,0,...,0.00,-0.00,0.00: "-0.00" is stored as +0
  EXPECT_EQ(s.dni_wm2[0], 0.0);
  EXPECT_FALSE(std::signbit(s.dni_wm2[0]));
  // 2006,6,1,5,0,...,11.03,3.29,59.64,99870.00,...,22.00,91.92,17.00,...,308,1.0,...
  const std::size_t i = kPvgisFirstJuneDaylight;
  EXPECT_EQ(s.year[i], 2006);
  EXPECT_DOUBLE_EQ(s.ghi_wm2[i], 22.0);
  EXPECT_DOUBLE_EQ(s.dni_wm2[i], 91.92);
  EXPECT_DOUBLE_EQ(s.dhi_wm2[i], 17.0);
  EXPECT_DOUBLE_EQ(s.temp_air_c[i], 11.03);
  EXPECT_DOUBLE_EQ(s.pressure_pa[i], 99870.0);
  EXPECT_DOUBLE_EQ(s.wind_speed_mps[i], 1.0);
  // 2006,6,21,13,...: 922.00,814.42,173.00
  EXPECT_DOUBLE_EQ(s.ghi_wm2[kJune21Hour13], 922.0);
  EXPECT_DOUBLE_EQ(s.dni_wm2[kJune21Hour13], 814.42);
  EXPECT_DOUBLE_EQ(s.dhi_wm2[kJune21Hour13], 173.0);
}

TEST(WeatherSeries, MidIntervalIsHalfAnHourBeforeTheLabel) {
  CITYTWIN_DATA_FILE(path, kLyonFile);
  const WeatherSeries s = read_epw(path);
  // hour 6 of 2018-06-01 covers 05:00..06:00 UTC+1: the sun is evaluated at 04:30 UTC
  EXPECT_DOUBLE_EQ(mid_interval_utc_s(s, kLyonFirstJuneDaylight), 1527829200.0 - 1800.0);
  EXPECT_THROW((void)mid_interval_utc_s(s, s.size()), std::out_of_range);
}

TEST(WeatherTimeZone, LyonAgreesWithUtcPlusOne) {
  CITYTWIN_DATA_FILE(path, kLyonFile);
  const WeatherSeries s = read_epw(path);  // default policy "error": no throw
  ASSERT_TRUE(s.time_zone_check.has_value());
  const TimeZoneCheck check = check_time_zone(s);
  EXPECT_DOUBLE_EQ(check.declared_h, 1.0);
  EXPECT_DOUBLE_EQ(check.best_fit_h, 1.0);
  EXPECT_TRUE(check.agrees);
  EXPECT_TRUE(check.conclusive);
  // GHI is centred on solar noon within ~7 min (value of this implementation, 4395 rows)
  EXPECT_NEAR(check.estimate_h, 1.1068, 1e-3);
  EXPECT_EQ(check.n_rows_used, 4395);
  EXPECT_DOUBLE_EQ(s.time_zone_check->estimate_h, check.estimate_h);
}

TEST(WeatherTimeZone, PvgisDeclaresUtcPlusOneButIsUtc) {
  CITYTWIN_DATA_FILE(path, kPvgisFile);
  const WeatherSeries declared = read_epw(path, with_policy(TimeZonePolicy::kDeclared));
  const TimeZoneCheck check = check_time_zone(declared);
  EXPECT_DOUBLE_EQ(check.declared_h, 1.0);
  EXPECT_DOUBLE_EQ(check.best_fit_h, 0.0);
  EXPECT_FALSE(check.agrees);
  // weather/SOURCES.md: hour H is the instant (H-1):10.6 UTC, so the mid-interval label
  // (H-1):30 is 0.32 h late; this estimate adds the same ~0.05 h as Lyon's
  EXPECT_NEAR(check.estimate_h, 0.3731, 1e-3);
  EXPECT_NEAR(check.estimate_h, 0.3239, 0.1);
  // "detect": rows move one hour later in UTC
  const WeatherSeries detected = read_epw(path, with_policy(TimeZonePolicy::kDetect));
  EXPECT_DOUBLE_EQ(detected.utc_offset_h, 1.0);
  EXPECT_DOUBLE_EQ(detected.applied_utc_offset_h, 0.0);
  ASSERT_TRUE(detected.time_zone_check.has_value());
  EXPECT_FALSE(detected.time_zone_check->agrees);
  EXPECT_EQ(detected.time_utc_s[0], declared.time_utc_s[0] + 3600);
  EXPECT_EQ(detected.time_utc_s[kJune21Hour13], 1150894800);  // 2006-06-21 13:00 UTC
  // the check reads the declared clock whatever offset the series was built with
  EXPECT_DOUBLE_EQ(check_time_zone(detected).estimate_h, check.estimate_h);
  // the user's offset replaces the header and skips the check
  WeatherReadOptions user;
  user.utc_offset_h = 0.0;
  const WeatherSeries by_user = read_epw(path, user);
  EXPECT_FALSE(by_user.time_zone_check.has_value());
  EXPECT_EQ(by_user.time_utc_s, detected.time_utc_s);
}

TEST(WeatherTimeZone, PvgisMismatchIsAnInputErrorByDefault) {
  CITYTWIN_DATA_FILE(path, kPvgisFile);
  // LOCATION's 9th field (time zone "1") starts at column 65
  EXPECT_INPUT_ERROR(read_epw(path),
                     "PVGIS_tmy_45\\.000_8\\.000_2005_2023\\.epw:1:65: error: the declared time "
                     "zone UTC\\+1 does not fit the irradiance: .* fits UTC\\+0 .*set "
                     "models\\.solar\\.weather_utc_offset_h = 0");
}

TEST(WeatherTimeZone, PolicyNames) {
  EXPECT_EQ(time_zone_policy_from_name("declared"), TimeZonePolicy::kDeclared);
  EXPECT_EQ(time_zone_policy_from_name("detect"), TimeZonePolicy::kDetect);
  EXPECT_EQ(time_zone_policy_from_name("error"), TimeZonePolicy::kError);
  EXPECT_THROW((void)time_zone_policy_from_name("auto"), std::invalid_argument);
}

TEST(WeatherSeries, MapTypicalYearOntoCalendarYear) {
  CITYTWIN_DATA_FILE(path, kLyonFile);
  const WeatherSeries s = read_epw(path);
  // row 0 (2004-01-01 hour 1) in 2021 ends at 2021-01-01 00:00 UTC
  EXPECT_EQ(map_to_year(s, 0, 2021), 1609459200);
  const WeatherSeries y2021 = with_calendar_year(s, 2021);
  EXPECT_FALSE(y2021.typical_year);
  EXPECT_EQ(y2021.year[kJune21Hour13], 2021);
  // hour 24 of 31 December ends 2022-01-01 00:00 UTC+1 = 2021-12-31 23:00 UTC
  EXPECT_EQ(y2021.time_utc_s.back(), 1640991600);
  for (std::size_t i = 1; i < y2021.size(); ++i) {
    ASSERT_EQ(y2021.time_utc_s[i] - y2021.time_utc_s[i - 1], 3600) << "row " << i;
  }
  // values are untouched
  EXPECT_EQ(y2021.ghi_wm2, s.ghi_wm2);
}

TEST(WeatherSeries, LeapDayNeedsALeapYear) {
  const std::string text = epw_header("DATA PERIODS,1,1,Data,Sunday, 2/29, 2/29") + [] {
    std::string rows;
    for (int hour = 1; hour <= 24; ++hour) rows += epw_row(2004, 2, 29, hour);
    return rows;
  }();
  const WeatherSeries s = parse_epw(text, "leap.epw");
  EXPECT_EQ(s.size(), 24u);
  EXPECT_EQ(s.time_utc_s[0], 1078012800);  // 2004-02-29 01:00 UTC+1
  EXPECT_EQ(map_to_year(s, 0, 2024), 1078012800 + (20 * 365 + 5) * 86400);
  EXPECT_THROW((void)map_to_year(s, 0, 2021), std::invalid_argument);
}

TEST(EpwReader, SyntheticDayAndMissingCode) {
  std::string rows = epw_day();
  // hour 12: GHI is the missing code 9999
  const std::string hour_12 = epw_row(2001, 1, 1, 12);
  rows.replace(rows.find(hour_12), hour_12.size(), epw_row(2001, 1, 1, 12, "9999"));
  const WeatherSeries s = parse_epw(epw_header() + rows, "day.epw");
  EXPECT_EQ(s.size(), 24u);
  EXPECT_FALSE(s.typical_year);
  EXPECT_EQ(s.missing.ghi, 1);
  EXPECT_EQ(s.missing.dhi, 1);
  EXPECT_TRUE(std::isnan(s.ghi_wm2[11]));
  EXPECT_DOUBLE_EQ(s.ghi_wm2[10], 0.0);
  // 24 rows have too few daylight hours for a conclusive time-zone check
  ASSERT_TRUE(s.time_zone_check.has_value());
  EXPECT_FALSE(s.time_zone_check->conclusive);
  EXPECT_TRUE(s.time_zone_check->agrees);
}

TEST(EpwReader, NonNumericFieldNamesLineColumnAndField) {
  std::string rows = epw_day();
  const std::string hour_12 = epw_row(2001, 1, 1, 12);
  const std::string bad = epw_row(2001, 1, 1, 12, "abc");
  rows.replace(rows.find(hour_12), hour_12.size(), bad);
  // line 8 + 12 = 20; the GHI field starts after 13 commas
  std::size_t column = 0;
  for (int commas = 0; commas < 13; ++column) commas += bad[column] == ',' ? 1 : 0;
  EXPECT_INPUT_ERROR(parse_epw(epw_header() + rows, "bad.epw"),
                     "bad\\.epw:20:" + std::to_string(column + 1) +
                         ": error: field 14 \\(global horizontal radiation\\) is not a number "
                         "\\(got 'abc'\\); write a value in Wh/m2 or the missing-value code 9999");
}

TEST(EpwReader, WrongFieldCount) {
  std::string rows = epw_day();
  const std::string hour_3 = epw_row(2001, 1, 1, 3);
  std::string extra = hour_3;
  extra.insert(extra.size() - 1, ",0.0");
  rows.replace(rows.find(hour_3), hour_3.size(), extra);
  EXPECT_INPUT_ERROR(parse_epw(epw_header() + rows, "count.epw"),
                     "count\\.epw:11:1: error: data row has 36 comma-separated fields, "
                     "expected 35");
}

TEST(EpwReader, TruncatedFile) {
  // two days promised, 30 rows written
  std::string rows = epw_day();
  for (int hour = 1; hour <= 6; ++hour) rows += epw_row(2001, 1, 2, hour);
  const std::string header = epw_header("DATA PERIODS,1,1,Data,Monday, 1/ 1, 1/ 2");
  EXPECT_INPUT_ERROR(parse_epw(header + rows, "short.epw"),
                     "short\\.epw:39:1: error: the file has 30 data rows but DATA PERIODS "
                     "\\(line 8\\) promises 2 days at 1 record\\(s\\) per hour = 48 rows: the "
                     "file is truncated");
  // cut in the middle of the last row
  const std::string cut = header + rows.substr(0, rows.size() - 40);
  EXPECT_INPUT_ERROR(parse_epw(cut, "cut.epw"),
                     "cut\\.epw:38:1: error: data row has [0-9]+ comma-separated fields, "
                     "expected 35");
  // cut inside the header
  EXPECT_INPUT_ERROR(parse_epw(header.substr(0, header.find("GROUND")), "head.epw"),
                     "head\\.epw:4:1: error: the file ends before header line 4 \\(GROUND "
                     "TEMPERATURES\\)");
}

TEST(EpwReader, TruncatedRealFile) {
  CITYTWIN_DATA_FILE(path, kLyonFile);
  const std::string text = read_all(path);
  // keep the 8 header lines and 1000 rows
  std::size_t end = 0;
  for (int line = 0; line < 1008; ++line) end = text.find('\n', end) + 1;
  EXPECT_INPUT_ERROR(parse_epw(text.substr(0, end), path.string()),
                     "Lyon-Bron\\.AP\\.074800_TMYx\\.2004-2018\\.epw:1009:1: error: the file has "
                     "1000 data rows but DATA PERIODS \\(line 8\\) promises 365 days at 1 "
                     "record\\(s\\) per hour = 8760 rows: the file is truncated");
}

TEST(EpwReader, MissingRowAndBadValues) {
  std::string rows;
  for (int hour = 1; hour <= 24; ++hour) {
    if (hour != 5) rows += epw_row(2001, 1, 1, hour, hour == 12 ? "-5" : "0");
  }
  const std::string message =
      test::input_error_message([&] { (void)parse_epw(epw_header() + rows, "gaps.epw"); });
  // every problem of the file, in order
  EXPECT_NE(message.find("gaps.epw:13:6: error: row 1/1 hour 6 minute 60 does not follow the "
                         "previous row (1/1 hour 4 minute 60): a row is missing"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("gaps.epw:19:"), std::string::npos) << message;
  EXPECT_NE(message.find("field 14 (global horizontal radiation) must be in [0, inf] Wh/m2 "
                         "(got -5)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the file has 23 data rows"), std::string::npos) << message;
}

TEST(EpwReader, BadHeader) {
  std::string header = epw_header();
  header.replace(header.find("45.0"), 4, "north");
  EXPECT_INPUT_ERROR(parse_epw(header + epw_day(), "head.epw"),
                     "head\\.epw:1:[0-9]+: error: LOCATION\\.latitude must be a number in "
                     "\\[-90, 90\\] \\(got 'north'\\)");
  EXPECT_INPUT_ERROR(parse_epw("year,month\n1,2\n", "x.csv"),
                     "x\\.csv:1:1: error: header line 1 must start with 'LOCATION'");
  EXPECT_INPUT_ERROR(read_epw("/nonexistent/weather.epw"),
                     "/nonexistent/weather\\.epw: error: cannot open the weather file");
}

// a made-up TMY3 file in the layout of the TMY3 user's manual (Wilcox & Marion 2008,
// NREL/TP-581-43156, section 1.3): metadata line, 68 column headers, hourly rows
constexpr std::string_view kTmy3Metadata =
    "722740,\"TUCSON INTL AP\",AZ,-7.0,32.117,-110.933,779\n";
constexpr std::string_view kTmy3Headers =
    "Date (MM/DD/YYYY),Time (HH:MM),ETR (W/m^2),ETRN (W/m^2),GHI (W/m^2),GHI source,"
    "GHI uncert (%),DNI (W/m^2),DNI source,DNI uncert (%),DHI (W/m^2),DHI source,"
    "DHI uncert (%),GH illum (lx),GH illum source,Global illum uncert (%),DN illum (lx),"
    "DN illum source,DN illum uncert (%),DH illum (lx),DH illum source,DH illum uncert (%),"
    "Zenith lum (cd/m^2),Zenith lum source,Zenith lum uncert (%),TotCld (tenths),"
    "TotCld source,TotCld uncert (code),OpqCld (tenths),OpqCld source,OpqCld uncert (code),"
    "Dry-bulb (C),Dry-bulb source,Dry-bulb uncert (code),Dew-point (C),Dew-point source,"
    "Dew-point uncert (code),RHum (%),RHum source,RHum uncert (code),Pressure (mbar),"
    "Pressure source,Pressure uncert (code),Wdir (degrees),Wdir source,Wdir uncert (code),"
    "Wspd (m/s),Wspd source,Wspd uncert (code),Hvis (m),Hvis source,Hvis uncert (code),"
    "CeilHgt (m),CeilHgt source,CeilHgt uncert (code),Pwat (cm),Pwat source,"
    "Pwat uncert (code),AOD (unitless),AOD source,AOD uncert (code),Alb (unitless),"
    "Alb source,Alb uncert (code),Lprecip depth (mm),Lprecip quantity (hr),Lprecip source,"
    "Lprecip uncert (code)\n";

// one TMY3 row of 68 fields; illuminances, clouds, dew point, humidity, wind direction,
// visibility, ceiling, water, AOD and precipitation get fixed filler values
std::string tmy3_row(std::string_view date, std::string_view time, std::string_view ghi,
                     std::string_view dni, std::string_view dhi, std::string_view dry_bulb_c,
                     std::string_view pressure_mbar, std::string_view wspd, std::string_view alb) {
  std::string row = std::string(date) + "," + std::string(time) + ",1300,1350," + std::string(ghi) +
                    ",1,8," + std::string(dni) + ",1,8," + std::string(dhi) + ",1,8";
  for (int k = 0; k < 12; ++k) row += ",0";
  row += ",1,E,9,1,E,9," + std::string(dry_bulb_c) + ",A,7,5.0,A,7,10,A,7," +
         std::string(pressure_mbar) + ",A,7,250,A,7," + std::string(wspd) +
         ",A,7,16000,A,7,77777,A,7,1.5,E,8,0.08,F,8," + std::string(alb) + ",F,8,0,1,D,9\n";
  return row;
}

TEST(Tmy3Reader, SmallFile) {
  const std::string text =
      std::string(kTmy3Metadata) + std::string(kTmy3Headers) +
      tmy3_row("06/21/2001", "11:00", "960", "930", "95", "35.0", "921", "3.1", "0.18") +
      tmy3_row("06/21/2001", "12:00", "1010", "940", "100", "36.2", "920", "3.6", "-9900") +
      tmy3_row("06/21/2001", "13:00", "1005", "935", "101", "37.0", "919", "4.0", "0.18");
  const WeatherSeries s = parse_tmy3(text, "tucson.csv");
  EXPECT_EQ(s.source_format, WeatherFormat::kTmy3);
  EXPECT_EQ(s.station_id, "722740");
  EXPECT_EQ(s.station_name, "TUCSON INTL AP");
  EXPECT_EQ(s.region, "AZ");
  EXPECT_DOUBLE_EQ(s.utc_offset_h, -7.0);
  EXPECT_DOUBLE_EQ(s.latitude_deg, 32.117);
  EXPECT_DOUBLE_EQ(s.longitude_deg, -110.933);
  EXPECT_DOUBLE_EQ(s.elevation_m, 779.0);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.interval_s, 3600);
  EXPECT_FALSE(s.typical_year);
  // 12:00 local standard time at UTC-7 is 19:00 UTC; the sun at 18:30 UTC
  EXPECT_EQ(s.time_utc_s[1], 993150000);
  EXPECT_DOUBLE_EQ(mid_interval_utc_s(s, 1), 993150000.0 - 1800.0);
  EXPECT_DOUBLE_EQ(s.ghi_wm2[1], 1010.0);
  EXPECT_DOUBLE_EQ(s.dni_wm2[1], 940.0);
  EXPECT_DOUBLE_EQ(s.dhi_wm2[1], 100.0);
  EXPECT_DOUBLE_EQ(s.temp_air_c[1], 36.2);
  EXPECT_DOUBLE_EQ(s.pressure_pa[1], 92000.0);  // 920 mbar
  EXPECT_DOUBLE_EQ(s.wind_speed_mps[1], 3.6);
  EXPECT_DOUBLE_EQ(s.albedo_frac[0], 0.18);
  EXPECT_TRUE(std::isnan(s.albedo_frac[1]));  // -9900
  EXPECT_EQ(s.missing.albedo, 1);
}

TEST(Tmy3Reader, TypicalYearAndHour24) {
  // January from 1991, February from 2005, as a TMY3 mixes months
  const std::string text =
      std::string(kTmy3Metadata) + std::string(kTmy3Headers) +
      tmy3_row("01/31/1991", "23:00", "0", "0", "0", "8.0", "930", "1.0", "0.2") +
      tmy3_row("01/31/1991", "24:00", "0", "0", "0", "7.5", "930", "1.0", "0.2") +
      tmy3_row("02/01/2005", "1:00", "0", "0", "0", "7.0", "931", "1.2", "0.2");
  const WeatherSeries s = parse_tmy3(text, "tmy.csv");
  EXPECT_TRUE(s.typical_year);
  EXPECT_EQ(s.year[1], 1991);
  EXPECT_EQ(s.year[2], 2005);
  // 24:00 of 31 January 1991 is 1 February 00:00 UTC-7 = 07:00 UTC
  EXPECT_EQ(s.time_utc_s[1], 665366400 + 7 * 3600);
  EXPECT_EQ(s.time_utc_s[2], 1107244800);  // 2005-02-01 01:00 UTC-7
  const WeatherSeries y2021 = with_calendar_year(s, 2021);
  EXPECT_EQ(y2021.time_utc_s[2] - y2021.time_utc_s[1], 3600);
  EXPECT_EQ(y2021.time_utc_s[1] - y2021.time_utc_s[0], 3600);
  EXPECT_EQ(y2021.year[1], 2021);
}

TEST(Tmy3Reader, Errors) {
  const std::string good_row =
      tmy3_row("06/21/2001", "12:00", "1010", "940", "100", "36.2", "920", "3.6", "0.2");
  // a missing required column
  std::string headers(kTmy3Headers);
  headers.replace(headers.find("Wspd (m/s)"), 10, "Wind (m/s)");
  EXPECT_INPUT_ERROR(parse_tmy3(std::string(kTmy3Metadata) + headers + good_row, "a.csv"),
                     "a\\.csv:2:1: error: column 'Wspd \\(m/s\\)' is missing from the header line");
  // a bad date, a non-number and a short row
  const std::string text =
      std::string(kTmy3Metadata) + std::string(kTmy3Headers) +
      tmy3_row("13/21/2001", "12:00", "1010", "940", "100", "36.2", "920", "3.6", "0.2") +
      tmy3_row("06/21/2001", "12:00", "1010", "n/a", "100", "36.2", "920", "3.6", "0.2") +
      "06/21/2001,13:00,1300\n";
  const std::string message = test::input_error_message([&] { (void)parse_tmy3(text, "b.csv"); });
  EXPECT_NE(message.find("b.csv:3:1: error: date must be an existing date written mm/dd/yyyy "
                         "(got '13/21/2001')"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("b.csv:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("'DNI (W/m^2)' is not a number (got 'n/a')"), std::string::npos)
      << message;
  EXPECT_NE(message.find("b.csv:5:1: error: data row has 3 fields but the header line has 68"),
            std::string::npos)
      << message;
  // metadata
  EXPECT_INPUT_ERROR(
      parse_tmy3("722740,TUCSON,AZ,-7.0\n" + std::string(kTmy3Headers) + good_row, "c.csv"),
      "c\\.csv:1:1: error: line 1 must hold 7 fields");
}

}  // namespace
}  // namespace citytwin::solar
