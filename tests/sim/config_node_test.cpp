#include <citytwin/sim/config_node.hpp>

#include <stdexcept>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

SourcePos at(int line) { return {"s.toml", line, 1}; }

ConfigNode sample() {
  ConfigNode root = ConfigNode::table(at(1));
  root.insert("name", ConfigNode::string("demo \"x\"", at(1)));
  ConfigNode time = ConfigNode::table(at(2));
  time.insert("dt_s", ConfigNode::integer(900, at(3)));
  time.insert("start", ConfigNode::date_time("2024-06-21T00:00:00", at(4)));
  root.insert("time", time);
  ConfigNode list = ConfigNode::array(at(5));
  list.push_back(ConfigNode::floating(0.5, at(5)));
  list.push_back(ConfigNode::floating(2.0, at(5)));
  root.insert("weights", list);
  return root;
}

TEST(ConfigNode, FindAndPaths) {
  const ConfigNode root = sample();
  ASSERT_NE(root.find_path("time.dt_s"), nullptr);
  EXPECT_EQ(root.find_path("time.dt_s")->as_integer(), 900);
  EXPECT_EQ(root.find_path("time.dt_s")->where().line, 3);
  EXPECT_EQ(root.find_path("time.nothing"), nullptr);
  EXPECT_EQ(root.find_path("name.x"), nullptr);
  EXPECT_DOUBLE_EQ(root.find_path("time.dt_s")->as_float(), 900.0);
}

TEST(ConfigNode, MergeOverridesScalarsAndMergesTables) {
  ConfigNode base = sample();
  ConfigNode overlay = ConfigNode::table(at(1));
  ConfigNode time = ConfigNode::table(at(2));
  time.insert("dt_s", ConfigNode::integer(60, at(2)));
  overlay.insert("time", time);
  overlay.insert("seed", ConfigNode::integer(7, at(3)));
  base.merge(overlay);
  EXPECT_EQ(base.find_path("time.dt_s")->as_integer(), 60);
  EXPECT_EQ(base.find_path("time.start")->as_string(), "2024-06-21T00:00:00");
  EXPECT_EQ(base.find_path("seed")->as_integer(), 7);
  // a replaced key keeps its place in the written order
  EXPECT_EQ(base.entries()[1].first, "time");
}

TEST(ConfigNode, SetPathCreatesTablesAndRejectsScalars) {
  ConfigNode root = sample();
  root.set_path("models.solar.enabled", ConfigNode::boolean(true, {"<command line>", 0, 0}));
  EXPECT_TRUE(root.find_path("models.solar.enabled")->as_bool());
  EXPECT_THROW(root.set_path("name.sub", ConfigNode::integer(1, {})), std::invalid_argument);
}

TEST(ConfigNode, TomlTextIsCanonical) {
  const std::string expected =
      "name = \"demo \\\"x\\\"\"\n"
      "weights = [0.5, 2.0]\n"
      "\n[time]\n"
      "dt_s = 900\n"
      "start = 2024-06-21T00:00:00\n";
  EXPECT_EQ(sample().to_toml(), expected);
}

TEST(ConfigNode, FloatsKeepEveryDigit) {
  ConfigNode root = ConfigNode::table({});
  root.insert("x", ConfigNode::floating(0.1 + 0.2, {}));
  EXPECT_EQ(root.to_toml(), "x = 0.30000000000000004\n");
}

}  // namespace
}  // namespace citytwin::sim
