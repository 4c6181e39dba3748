#include <citytwin/sim/progress.hpp>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

TEST(Progress, LogLineShowsRateAndEta) {
  const ProgressReporter log(100, ProgressMode::kLog, stderr);
  EXPECT_EQ(log.line(25, 5.0), "citytwin:  25.0% 25/100 ticks, 5.0 ticks/s, elapsed 00:05, ETA 00:15");
}

TEST(Progress, BarLine) {
  const ProgressReporter bar(10, ProgressMode::kBar, stderr);
  EXPECT_EQ(bar.line(5, 3725.0),
            "[###############...............]  50.0% 5/10 ticks, 0.0 ticks/s, elapsed 1:02:05, ETA 1:02:05");
}

TEST(Progress, QuietPrintsNothingAndAutoIsLogOffTerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressReporter quiet(10, ProgressMode::kQuiet, file);
  quiet.update(5);
  quiet.finish(10);
  EXPECT_EQ(std::ftell(file), 0L);
  ProgressReporter automatic(10, ProgressMode::kAuto, file);
  EXPECT_EQ(automatic.mode(), ProgressMode::kLog);  // a file is not a terminal
  automatic.finish(10);
  EXPECT_GT(std::ftell(file), 0L);
  std::fclose(file);
}

}  // namespace
}  // namespace citytwin::sim
