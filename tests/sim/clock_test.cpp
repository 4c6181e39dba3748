#include <citytwin/sim/clock.hpp>

#include <stdexcept>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

TEST(Clock, TicksAreIntegerMultiplesOfDt) {
  const Clock clock(1718920800, 900, 96, "Europe/Paris");
  EXPECT_EQ(clock.utc_s(0), 1718920800);
  EXPECT_EQ(clock.utc_s(95), 1718920800 + 95 * 900);
  EXPECT_EQ(clock.elapsed_s(4), 3600);
  EXPECT_DOUBLE_EQ(clock.dt_h(), 0.25);
}

TEST(Clock, LocalTimeAppliesSummerTime) {
  // 2024-06-20T22:00:00Z is midnight in Paris (UTC+2 in summer)
  const Clock clock(1718920800, 3600, 24, "Europe/Paris");
  const CivilTime utc = clock.utc(0);
  EXPECT_EQ(utc.year, 2024);
  EXPECT_EQ(utc.month, 6);
  EXPECT_EQ(utc.day, 20);
  EXPECT_EQ(utc.hour, 22);
  const CivilTime local = clock.local(0);
  EXPECT_EQ(local.day, 21);
  EXPECT_EQ(local.hour, 0);
  EXPECT_EQ(local.utc_offset_s, 7200);
  EXPECT_EQ(local.day_of_year, 173);  // 31+29+31+30+31+21 in a leap year
  EXPECT_EQ(local.weekday, 4);        // 2024-06-21 was a Friday
}

TEST(Clock, DaylightSavingChangeInLocalTime) {
  // Europe/Paris switched to winter time at 2024-10-27T01:00:00Z
  const Clock clock(1729990800 - 3600, 3600, 3, "Europe/Paris");
  EXPECT_EQ(clock.local(0).utc_offset_s, 7200);
  EXPECT_EQ(clock.local(1).utc_offset_s, 3600);
  EXPECT_EQ(clock.local(0).hour, 2);
  EXPECT_EQ(clock.local(1).hour, 2);  // 02:00 happens twice
}

TEST(Clock, UnixFromLocalRoundTrips) {
  EXPECT_EQ(Clock::unix_from_local(2024, 6, 21, 0, 0, 0, "Europe/Paris"), 1718920800);
  EXPECT_EQ(Clock::unix_from_local(1970, 1, 1, 0, 0, 0, "UTC"), 0);
  EXPECT_EQ(Clock::unix_from_local(2003, 10, 17, 12, 30, 30, "America/Denver"), 1066415430);
  // 02:30 does not exist in Paris on 2024-03-31
  EXPECT_THROW((void)Clock::unix_from_local(2024, 3, 31, 2, 30, 0, "Europe/Paris"), std::invalid_argument);
  // the ambiguous 02:30 of 2024-10-27 takes the earlier (summer) offset
  EXPECT_EQ(Clock::unix_from_local(2024, 10, 27, 2, 30, 0, "Europe/Paris"), 1729989000);
}

TEST(Clock, RejectsBadArguments) {
  EXPECT_THROW(Clock(0, 0, 1, "UTC"), std::invalid_argument);
  EXPECT_THROW(Clock(0, 60, -1, "UTC"), std::invalid_argument);
  EXPECT_THROW(Clock(0, 60, 1, "Europe/Pariss"), std::invalid_argument);
  EXPECT_TRUE(Clock::is_valid_time_zone("Europe/Oslo"));
  EXPECT_FALSE(Clock::is_valid_time_zone("Mars/Olympus"));
}

TEST(Clock, IsoUtcFormat) {
  EXPECT_EQ(Clock::iso_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Clock::iso_utc(1718920800), "2024-06-20T22:00:00Z");
}

}  // namespace
}  // namespace citytwin::sim
