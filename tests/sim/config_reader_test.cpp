#include <citytwin/sim/config_reader.hpp>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

ConfigNode section() {
  ConfigNode t = ConfigNode::table({"f.toml", 1, 1});
  t.insert("capacity", ConfigNode::integer(-5, {"f.toml", 2, 12}));
  t.insert("speed_mps", ConfigNode::floating(4.5, {"f.toml", 3, 13}));
  t.insert("panel_eficiency", ConfigNode::floating(0.2, {"f.toml", 4, 19}));
  t.insert("mode", ConfigNode::string("fsat", {"f.toml", 5, 8}));
  t.insert("period", ConfigNode::string("15min", {"f.toml", 6, 10}));
  t.insert("enabled", ConfigNode::string("yes", {"f.toml", 7, 11}));
  return t;
}

TEST(ConfigReader, ReportsEveryProblemWithPositionAndKeyPath) {
  const ConfigNode table = section();
  Diagnostics diag;
  ConfigReader reader(&table, "models.bikeshare", diag);
  int capacity = 10;
  double speed_mps = 0.0;
  double panel_efficiency = 0.18;
  std::string mode = "slow";
  std::int64_t period_s = 0;
  bool enabled = true;
  EXPECT_FALSE(reader.read("capacity", capacity, Range::positive()));
  EXPECT_TRUE(reader.read("speed_mps", speed_mps, Range::positive()));
  EXPECT_FALSE(reader.read("panel_efficiency", panel_efficiency, Range::fraction()));
  EXPECT_FALSE(reader.read_choice("mode", mode, {"slow", "fast"}));
  EXPECT_TRUE(reader.read_duration_s("period", period_s, Range::positive()));
  EXPECT_FALSE(reader.read("enabled", enabled));
  reader.finish();

  EXPECT_EQ(capacity, 10);  // bad value leaves the default
  EXPECT_DOUBLE_EQ(speed_mps, 4.5);
  EXPECT_DOUBLE_EQ(panel_efficiency, 0.18);  // absent key leaves the default
  EXPECT_EQ(period_s, 900);
  ASSERT_EQ(diag.errors().size(), 4u);
  EXPECT_EQ(diag.errors()[0].format(), "f.toml:2:12: error: models.bikeshare.capacity must be > 0 (got -5)");
  EXPECT_EQ(diag.errors()[1].format(),
            "f.toml:5:8: error: models.bikeshare.mode must be one of 'slow', 'fast' (got 'fsat'); did you mean 'fast'?");
  EXPECT_EQ(diag.errors()[2].format(),
            "f.toml:7:11: error: models.bikeshare.enabled must be true or false (got a string)");
  EXPECT_EQ(diag.errors()[3].format(),
            "f.toml:4:19: error: unknown key 'models.bikeshare.panel_eficiency' (did you mean 'panel_efficiency'?)");
  EXPECT_EQ(diag.errors()[3].key, "models.bikeshare.panel_eficiency");
  EXPECT_THROW(diag.throw_if_errors(), InputError);
}

TEST(ConfigReader, UnknownKeyWithoutCloseMatchListsValidKeys) {
  ConfigNode t = ConfigNode::table({"f.toml", 1, 1});
  t.insert("zzz", ConfigNode::integer(1, {"f.toml", 2, 7}));
  Diagnostics diag;
  ConfigReader reader(&t, "output", diag);
  reader.accept("path");
  reader.accept("compression");
  reader.finish();
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].message, "unknown key 'output.zzz' (valid keys here: path, compression)");
}

TEST(ConfigReader, RequiredKeysAndSections) {
  ConfigNode t = ConfigNode::table({"f.toml", 1, 1});
  t.insert("generator", ConfigNode::integer(3, {"f.toml", 2, 13}));
  Diagnostics diag;
  ConfigReader reader(&t, "city", diag);
  EXPECT_FALSE(reader.require("buildings"));
  ConfigReader sub = reader.section("generator");
  EXPECT_EQ(sub.table(), nullptr);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0].message, "missing required key 'city.buildings'");
  EXPECT_EQ(diag.errors()[1].message, "city.generator must be a table (got an integer)");
}

TEST(ConfigReader, NumberArrays) {
  ConfigNode t = ConfigNode::table({"f.toml", 1, 1});
  ConfigNode arr = ConfigNode::array({"f.toml", 2, 10});
  arr.push_back(ConfigNode::floating(0.5, {"f.toml", 2, 11}));
  arr.push_back(ConfigNode::integer(2, {"f.toml", 2, 16}));
  arr.push_back(ConfigNode::floating(-1.0, {"f.toml", 2, 19}));
  t.insert("profile", arr);
  Diagnostics diag;
  ConfigReader reader(&t, "m", diag);
  std::vector<double> out{9.0};
  EXPECT_FALSE(reader.read("profile", out, Range::non_negative()));
  EXPECT_EQ(out, std::vector<double>{9.0});
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].format(), "f.toml:2:19: error: m.profile[2] must be >= 0 (got -1)");
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration_s("900"), 900);
  EXPECT_EQ(parse_duration_s("90s"), 90);
  EXPECT_EQ(parse_duration_s("15min"), 900);
  EXPECT_EQ(parse_duration_s("1.5h"), 5400);
  EXPECT_EQ(parse_duration_s("7d"), 604800);
  EXPECT_EQ(parse_duration_s(" 2 h "), 7200);
  EXPECT_FALSE(parse_duration_s("soon").has_value());
  EXPECT_FALSE(parse_duration_s("3 parsecs").has_value());
  EXPECT_FALSE(parse_duration_s("0.5s").has_value());
}

}  // namespace
}  // namespace citytwin::sim
