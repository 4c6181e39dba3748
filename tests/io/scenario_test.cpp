// Tests of scenario parsing: TOML positions, extends, --set, validation messages, hashing.
#include <citytwin/io/scenario.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/error.hpp>

#include "sim_test.hpp"

namespace citytwin::io {
namespace {

namespace fs = std::filesystem;
using sim::ConfigNode;

/// Parses and validates inline scenario text named "inline.toml".
ScenarioSettings load_text(std::string_view toml) {
  return Scenario::from_text(toml, "inline.toml").settings();
}

/// A fresh, empty folder for the files of one test.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("citytwin_scenario_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Sets or unsets CITYTWIN_DATA for the lifetime of the object, then restores it.
class DataEnvGuard {
 public:
  explicit DataEnvGuard(const char* value) {
    if (const char* old = std::getenv("CITYTWIN_DATA"); old != nullptr) old_ = old;
    if (value != nullptr) {
      setenv("CITYTWIN_DATA", value, 1);
    } else {
      unsetenv("CITYTWIN_DATA");
    }
  }
  DataEnvGuard(const DataEnvGuard&) = delete;
  DataEnvGuard& operator=(const DataEnvGuard&) = delete;
  ~DataEnvGuard() {
    if (old_) {
      setenv("CITYTWIN_DATA", old_->c_str(), 1);
    } else {
      unsetenv("CITYTWIN_DATA");
    }
  }

 private:
  std::optional<std::string> old_;
};

/// Asserts that two settings are equal field by field.
void expect_same_settings(const ScenarioSettings& a, const ScenarioSettings& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.start_text, b.start_text);
  EXPECT_EQ(a.time_zone, b.time_zone);
  EXPECT_EQ(a.start_utc_s, b.start_utc_s);
  EXPECT_EQ(a.dt_s, b.dt_s);
  EXPECT_EQ(a.duration_s, b.duration_s);
  EXPECT_EQ(a.n_ticks, b.n_ticks);
  EXPECT_EQ(a.city_buildings, b.city_buildings);
  EXPECT_EQ(a.generator.seed, b.generator.seed);
  EXPECT_EQ(a.generator.n_buildings, b.generator.n_buildings);
  EXPECT_EQ(a.generator.block_size_m, b.generator.block_size_m);
  EXPECT_EQ(a.generator.arterial_every, b.generator.arterial_every);
  EXPECT_EQ(a.generator.origin_lat_deg, b.generator.origin_lat_deg);
  EXPECT_EQ(a.generator.origin_lon_deg, b.generator.origin_lon_deg);
  EXPECT_EQ(a.generator.terrain_relief_m, b.generator.terrain_relief_m);
  EXPECT_EQ(a.generator.residents_per_m2, b.generator.residents_per_m2);
  EXPECT_EQ(a.generator.jobs_per_m2, b.generator.jobs_per_m2);
  EXPECT_EQ(a.output.path, b.output.path);
  EXPECT_EQ(a.output.interval_s, b.output.interval_s);
  EXPECT_EQ(a.output.compression, b.output.compression);
  EXPECT_EQ(a.output.flush_every, b.output.flush_every);
  EXPECT_EQ(a.output.flush_interval_s, b.output.flush_interval_s);
  EXPECT_EQ(a.output.city, b.output.city);
  EXPECT_EQ(a.models, b.models);
}

// ---------------------------------------------------------------------------------------------
// parse_toml

TEST(TomlParse, KeepsWrittenKeyOrderAndPositions) {
  const ConfigNode root = parse_toml("zeta = 1\nalpha = \"a\"\n[mid]\n  beta = 2.5\n", "t.toml");
  ASSERT_EQ(root.entries().size(), 3U);
  EXPECT_EQ(root.entries()[0].first, "zeta");
  EXPECT_EQ(root.entries()[1].first, "alpha");
  EXPECT_EQ(root.entries()[2].first, "mid");

  // a key = value entry sits at its key; a [section] at its opening bracket
  const ConfigNode* beta = root.find_path("mid.beta");
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(beta->where().file, "t.toml");
  EXPECT_EQ(beta->where().line, 4);
  EXPECT_EQ(beta->where().column, 3);
  EXPECT_DOUBLE_EQ(beta->as_float(), 2.5);
  EXPECT_EQ(root.find("mid")->where().line, 3);
  EXPECT_EQ(root.find("mid")->where().column, 1);
}

TEST(TomlParse, OrdersTablesDefinedLaterAndImplicitTables) {
  const ConfigNode root =
      parse_toml("[models.solar]\nk = 1\n[models.bikeshare.x]\n[models.energy]\n", "t.toml");
  const ConfigNode* models = root.find("models");
  ASSERT_NE(models, nullptr);
  ASSERT_EQ(models->entries().size(), 3U);
  EXPECT_EQ(models->entries()[0].first, "solar");
  EXPECT_EQ(models->entries()[1].first, "bikeshare");
  EXPECT_EQ(models->entries()[2].first, "energy");
}

TEST(TomlParse, ConvertsEveryValueKind) {
  const ConfigNode root = parse_toml(
      "s = \"x\"\ni = -7\nf = 0.25\nb = true\nlocal = 2024-06-21T08:30:00\n"
      "offset = 2024-06-21T08:30:00.500+02:00\nutc = 2024-06-21T06:30:00Z\nday = 2024-06-21\n"
      "clock = 07:45:00\nxs = [1,\n  2]\ninline = {p = 1}\n",
      "t.toml");
  EXPECT_EQ(root.find("s")->as_string(), "x");
  EXPECT_EQ(root.find("i")->as_integer(), -7);
  EXPECT_DOUBLE_EQ(root.find("f")->as_float(), 0.25);
  EXPECT_TRUE(root.find("b")->as_bool());
  EXPECT_EQ(root.find("local")->kind(), ConfigNode::Kind::kDateTime);
  EXPECT_EQ(root.find("local")->as_string(), "2024-06-21T08:30:00");
  EXPECT_EQ(root.find("offset")->as_string(), "2024-06-21T08:30:00.5+02:00");
  EXPECT_EQ(root.find("utc")->as_string(), "2024-06-21T06:30:00Z");
  EXPECT_EQ(root.find("day")->as_string(), "2024-06-21");
  EXPECT_EQ(root.find("clock")->as_string(), "07:45:00");

  // array items keep their own positions
  const ConfigNode* xs = root.find("xs");
  ASSERT_TRUE(xs->is_array());
  ASSERT_EQ(xs->items().size(), 2U);
  EXPECT_EQ(xs->items()[1].as_integer(), 2);
  EXPECT_EQ(xs->items()[1].where().line, 11);
  EXPECT_EQ(xs->items()[1].where().column, 3);
  EXPECT_EQ(root.find_path("inline.p")->as_integer(), 1);
}

TEST(TomlParse, SyntaxErrorNamesLineAndColumn) {
  EXPECT_INPUT_ERROR(parse_toml("a = 1\nb = [1,\n    2 3]\n", "inline.toml"),
                     "^inline\\.toml:3:7: error: invalid TOML syntax: error while parsing array: "
                     "expected comma or closing ']', saw '3'");
  EXPECT_INPUT_ERROR(parse_toml("a = 1\na = 2\n", "inline.toml"),
                     "^inline\\.toml:2:5: error: invalid TOML syntax: .*redefine.*'a'");
}

// ---------------------------------------------------------------------------------------------
// settings: values

TEST(ScenarioSettings, EmptyScenarioGivesTheDefaults) {
  const ScenarioSettings settings = load_text("");
  EXPECT_EQ(settings.name, "scenario");
  EXPECT_EQ(settings.seed, 42U);
  EXPECT_EQ(settings.time_zone, "UTC");
  EXPECT_EQ(settings.start_utc_s, 1704067200);  // 2024-01-01T00:00:00Z
  EXPECT_EQ(settings.dt_s, 900);
  EXPECT_EQ(settings.duration_s, 86400);
  EXPECT_EQ(settings.n_ticks, 96);
  EXPECT_EQ(settings.city_buildings, "generated");
  EXPECT_EQ(settings.output.interval_s, 3600);
  EXPECT_TRUE(settings.models.empty());
}

TEST(ScenarioSettings, ReadsEveryCoreKey) {
  const ScenarioSettings settings = load_text(R"(
name = "downtown"
description = "three stations"
seed = 7
[time]
start = 2024-06-21T00:00:00
time_zone = "Europe/Paris"
dt_s = 900
duration = "2d"
[city]
buildings = "${data}/city3d/lyon.json"
[city.generator]
seed = 3
n_buildings = 40
block_size_m = 100.0
arterial_every = 4
origin_lat_deg = 48.85
origin_lon_deg = 2.35
terrain_relief_m = 0.0
residents_per_m2 = 0.02
jobs_per_m2 = 0.05
[output]
path = "out.h5"
interval = "1h"
compression = 6
flush_every = 12
flush_interval = "30s"
city = false
)");
  EXPECT_EQ(settings.name, "downtown");
  EXPECT_EQ(settings.description, "three stations");
  EXPECT_EQ(settings.seed, 7U);
  EXPECT_EQ(settings.start_text, "2024-06-21T00:00:00");
  EXPECT_EQ(settings.time_zone, "Europe/Paris");
  // 2024-06-21T00:00:00 in Paris (CEST, UTC+2) is 2024-06-20T22:00:00Z
  EXPECT_EQ(settings.start_utc_s, 1718920800);
  EXPECT_EQ(settings.duration_s, 172800);  // 2 * 86400
  EXPECT_EQ(settings.n_ticks, 192);        // 172800 / 900
  EXPECT_EQ(settings.city_buildings, "${data}/city3d/lyon.json");
  EXPECT_EQ(settings.generator.seed, 3U);
  EXPECT_EQ(settings.generator.n_buildings, 40);
  EXPECT_DOUBLE_EQ(settings.generator.block_size_m, 100.0);
  EXPECT_EQ(settings.generator.arterial_every, 4);
  EXPECT_DOUBLE_EQ(settings.generator.origin_lat_deg, 48.85);
  EXPECT_DOUBLE_EQ(settings.generator.origin_lon_deg, 2.35);
  EXPECT_DOUBLE_EQ(settings.generator.terrain_relief_m, 0.0);
  EXPECT_DOUBLE_EQ(settings.generator.residents_per_m2, 0.02);
  EXPECT_DOUBLE_EQ(settings.generator.jobs_per_m2, 0.05);
  EXPECT_EQ(settings.output.path, "out.h5");
  EXPECT_EQ(settings.output.interval_s, 3600);
  EXPECT_EQ(settings.output.compression, 6);
  EXPECT_EQ(settings.output.flush_every, 12);
  EXPECT_DOUBLE_EQ(settings.output.flush_interval_s, 30.0);
  EXPECT_FALSE(settings.output.city);
}

TEST(ScenarioSettings, StartWithOffsetOrAsStringGivesTheSameInstant) {
  // +02:00 fixes the instant whatever the zone
  EXPECT_EQ(load_text("[time]\nstart = 2024-06-21T00:00:00+02:00\n").start_utc_s, 1718920800);
  EXPECT_EQ(
      load_text("[time]\nstart = 2024-06-20T22:00:00Z\ntime_zone = \"Asia/Tokyo\"\n").start_utc_s,
      1718920800);
  EXPECT_EQ(load_text("[time]\nstart = \"2024-06-21 00:00:00\"\ntime_zone = \"Europe/Paris\"\n")
                .start_utc_s,
            1718920800);
  // in winter Paris is UTC+1: 2024-01-15T00:00:00 local = 2024-01-14T23:00:00Z = 1705273200
  EXPECT_EQ(
      load_text("[time]\nstart = 2024-01-15T00:00:00\ntime_zone = \"Europe/Paris\"\n").start_utc_s,
      1705273200);
}

TEST(ScenarioSettings, DurationForms) {
  // 15 min of 60 s ticks
  const ScenarioSettings minutes = load_text("[time]\ndt_s = 60\nduration = \"15min\"\n");
  EXPECT_EQ(minutes.duration_s, 900);
  EXPECT_EQ(minutes.n_ticks, 15);
  // a bare integer is seconds: 7200 s / 600 s = 12 ticks
  const ScenarioSettings seconds = load_text("[time]\ndt_s = 600\nduration = 7200\n");
  EXPECT_EQ(seconds.duration_s, 7200);
  EXPECT_EQ(seconds.n_ticks, 12);
  // one week of hours: 7 * 24 = 168 ticks
  EXPECT_EQ(load_text("[time]\ndt_s = 3600\nduration = \"7d\"\n").n_ticks, 168);
}

TEST(ScenarioSettings, EndIsExclusive) {
  // one day of hourly ticks, end exclusive: 24 ticks
  const ScenarioSettings settings = load_text(
      "[time]\nstart = 2024-06-21T00:00:00\nend = 2024-06-22T00:00:00\ndt_s = 3600\n"
      "time_zone = \"Europe/Paris\"\n");
  EXPECT_EQ(settings.duration_s, 86400);
  EXPECT_EQ(settings.n_ticks, 24);
  // the night clocks go back (2024-10-27 in Paris) lasts 25 h
  const ScenarioSettings autumn = load_text(
      "[time]\nstart = 2024-10-27T00:00:00\nend = 2024-10-28T00:00:00\ndt_s = 3600\n"
      "time_zone = \"Europe/Paris\"\n");
  EXPECT_EQ(autumn.n_ticks, 25);
}

TEST(ScenarioSettings, ModelsListedInWrittenOrder) {
  const ScenarioSettings settings =
      load_text("[models.solar]\n[models.bikeshare]\nstations = 3\n[models.energy]\n");
  EXPECT_EQ(settings.models, (std::vector<std::string>{"solar", "bikeshare", "energy"}));
}

// ---------------------------------------------------------------------------------------------
// settings: error messages

TEST(ScenarioErrors, UnknownKeySuggestsTheClosestOne) {
  EXPECT_INPUT_ERROR(load_text("[output]\ncompresion = 4\n"),
                     "^inline\\.toml:2:1: error: unknown key 'output\\.compresion' "
                     "\\(did you mean 'compression'\\?\\)");
  EXPECT_INPUT_ERROR(load_text("nmae = \"x\"\n"),
                     "^inline\\.toml:1:1: error: unknown key 'nmae' \\(did you mean 'name'\\?\\)");
}

TEST(ScenarioErrors, WrongTypeNamesKeyAndBothTypes) {
  EXPECT_INPUT_ERROR(
      load_text("[time]\ndt_s = \"fast\"\n"),
      "^inline\\.toml:2:1: error: time\\.dt_s must be an integer \\(got a string\\)");
}

TEST(ScenarioErrors, OutOfRangeShowsRangeAndValue) {
  EXPECT_INPUT_ERROR(load_text("[output]\ncompression = 12\n"),
                     "^inline\\.toml:2:1: error: output\\.compression must be between 0 and 9 "
                     "\\(got 12\\)");
  EXPECT_INPUT_ERROR(load_text("[city.generator]\norigin_lat_deg = 100.0\n"),
                     "^inline\\.toml:2:1: error: city\\.generator\\.origin_lat_deg must be "
                     "between -90 and 90");
}

TEST(ScenarioErrors, ReportsEveryProblemOfTheFileAtOnce) {
  const std::string toml =
      "seed = -1\n[time]\ndt_s = 0\n[output]\ncompresion = 4\nflush_every = 0\n";
  try {
    (void)load_text(toml);
    FAIL() << "no InputError thrown";
  } catch (const InputError& error) {
    ASSERT_EQ(error.issues().size(), 4U) << error.what();
    // top to bottom, as written
    EXPECT_EQ(error.issues()[0].line, 1);
    EXPECT_EQ(error.issues()[1].line, 3);
    EXPECT_EQ(error.issues()[2].line, 5);
    EXPECT_EQ(error.issues()[3].line, 6);
    EXPECT_EQ(error.issues()[2].key, "output.compresion");
    const std::string what = error.what();
    EXPECT_NE(what.find("inline.toml:1:1: error: seed must be"), std::string::npos) << what;
    EXPECT_NE(what.find("inline.toml:3:1: error: time.dt_s must be between 1 and 86400 (got 0)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("inline.toml:5:1: error: unknown key 'output.compresion'"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("inline.toml:6:1: error: output.flush_every must be"), std::string::npos)
        << what;
  }
}

TEST(ScenarioErrors, InvalidTimeZoneGivesAnExample) {
  EXPECT_INPUT_ERROR(load_text("[time]\ntime_zone = \"Europe/Pari\"\n"),
                     "^inline\\.toml:2:1: error: time\\.time_zone must be an IANA time zone name "
                     "such as \"Europe/Paris\".*\\(got 'Europe/Pari'\\)");
}

TEST(ScenarioErrors, BadStart) {
  EXPECT_INPUT_ERROR(load_text("[time]\nstart = \"tomorrow\"\n"),
                     "^inline\\.toml:2:1: error: time\\.start must be a date-time such as "
                     "2024-06-21T00:00:00.*\\(got 'tomorrow'\\)");
  EXPECT_INPUT_ERROR(load_text("[time]\nstart = 5\n"),
                     "^inline\\.toml:2:1: error: time\\.start must be a date-time.*"
                     "\\(got an integer\\)");
  // 02:30 does not exist in Paris on 2024-03-31: the clocks jump from 02:00 to 03:00
  EXPECT_INPUT_ERROR(
      load_text("[time]\nstart = 2024-03-31T02:30:00\ntime_zone = \"Europe/Paris\"\n"),
      "^inline\\.toml:2:1: error: time\\.start does not exist in Europe/Paris");
}

TEST(ScenarioErrors, EndAndDurationConflict) {
  EXPECT_INPUT_ERROR(
      load_text("[time]\nduration = \"1d\"\nend = 2024-01-02T00:00:00\n"),
      "^inline\\.toml:3:1: error: time\\.end and time\\.duration are both set: keep only one");
  EXPECT_INPUT_ERROR(load_text("[time]\nstart = 2024-01-02T00:00:00\nend = 2024-01-01T00:00:00\n"),
                     "^inline\\.toml:3:1: error: time\\.end must be after time\\.start");
}

TEST(ScenarioErrors, DurationMustBeWholeTicks) {
  EXPECT_INPUT_ERROR(load_text("[time]\ndt_s = 900\nduration = \"1000s\"\n"),
                     "^inline\\.toml:3:1: error: time\\.duration must be a whole multiple of "
                     "time\\.dt_s = 900 s \\(got 1000 s\\)");
  EXPECT_INPUT_ERROR(load_text("[time]\nduration = \"soon\"\n"),
                     "^inline\\.toml:2:1: error: time\\.duration");
  EXPECT_INPUT_ERROR(load_text("[time]\ndt_s = 600\n[output]\ninterval = \"15min\"\n"),
                     "^inline\\.toml:4:1: error: output\\.interval must be a whole multiple of "
                     "time\\.dt_s = 600 s \\(got 900 s\\)");
}

TEST(ScenarioErrors, DefaultsMustAlsoFitTheTick) {
  // 86400 s and 3600 s are not whole multiples of 7000 s
  EXPECT_INPUT_ERROR(load_text("[time]\ndt_s = 7000\n"),
                     "^inline\\.toml:2:1: error: time\\.dt_s must divide the default "
                     "time\\.duration of 86400 s.*\n"
                     "inline\\.toml:2:1: error: output\\.interval must be a whole multiple of "
                     "time\\.dt_s = 7000 s \\(got the default 3600 s\\)");
}

TEST(ScenarioErrors, SectionsAndModelsMustBeTables) {
  EXPECT_INPUT_ERROR(load_text("time = 3\n"),
                     "^inline\\.toml:1:1: error: time must be a table, written \\[time\\] "
                     "\\(got an integer\\)");
  EXPECT_INPUT_ERROR(load_text("[models]\nsolar = true\n"),
                     "^inline\\.toml:2:1: error: models\\.solar must be a table: write "
                     "\\[models\\.solar\\]");
}

// ---------------------------------------------------------------------------------------------
// extends

TEST(ScenarioExtends, ChainOverridesItsBases) {
  const fs::path dir = fresh_dir("extends_chain");
  write_file(dir / "base.toml",
             "name = \"base\"\nseed = 1\n[time]\ndt_s = 900\nduration = \"1d\"\n"
             "[output]\ncompression = 2\n[models.solar]\n");
  write_file(dir / "mid" / "mid.toml",
             "extends = \"../base.toml\"\nseed = 2\n[output]\ncompression = 5\n");
  write_file(dir / "mid" / "top.toml",
             "extends = \"mid.toml\"\nname = \"top\"\n[time]\ndt_s = 3600\n[models.bikeshare]\n");

  // each file overrides what it extends, key by key
  const Scenario scenario = Scenario::load(dir / "mid" / "top.toml");
  const ScenarioSettings settings = scenario.settings();
  EXPECT_EQ(settings.name, "top");
  EXPECT_EQ(settings.seed, 2U);
  EXPECT_EQ(settings.dt_s, 3600);
  EXPECT_EQ(settings.n_ticks, 24);  // 1 d from base.toml / 3600 s from top.toml
  EXPECT_EQ(settings.output.compression, 5);
  EXPECT_EQ(settings.models, (std::vector<std::string>{"solar", "bikeshare"}));

  // the extends key is spent; values keep the file they came from
  EXPECT_EQ(scenario.tree().find("extends"), nullptr);
  EXPECT_EQ(scenario.resolved_toml().find("extends"), std::string::npos);
  EXPECT_EQ(scenario.tree().find_path("time.duration")->where().file, (dir / "base.toml").string());
  EXPECT_EQ(scenario.tree().find_path("time.dt_s")->where().file,
            (dir / "mid" / "top.toml").string());
  EXPECT_EQ(scenario.dir(), dir / "mid");
}

TEST(ScenarioExtends, CycleIsAnErrorNamingTheFiles) {
  const fs::path dir = fresh_dir("extends_cycle");
  write_file(dir / "a.toml", "extends = \"b.toml\"\n");
  write_file(dir / "b.toml", "seed = 1\nextends = \"a.toml\"\n");
  EXPECT_INPUT_ERROR(Scenario::load(dir / "a.toml"),
                     "b\\.toml:2:1: error: extends forms a cycle: .*a\\.toml -> .*b\\.toml -> "
                     ".*a\\.toml");
}

TEST(ScenarioExtends, MissingBaseOrWrongType) {
  const fs::path dir = fresh_dir("extends_missing");
  write_file(dir / "a.toml", "\nextends = \"nowhere.toml\"\n");
  EXPECT_INPUT_ERROR(Scenario::load(dir / "a.toml"),
                     "a\\.toml:2:1: error: extends names '.*nowhere\\.toml', which does not "
                     "exist");
  EXPECT_INPUT_ERROR(Scenario::from_text("extends = 3\n", "inline.toml"),
                     "^inline\\.toml:1:1: error: extends must name the base scenario file");
  EXPECT_INPUT_ERROR(Scenario::load(dir / "absent.toml"),
                     "absent\\.toml.*error: cannot read the scenario file");
}

// ---------------------------------------------------------------------------------------------
// --set

TEST(ScenarioSet, OverridesNestedKeys) {
  Scenario scenario = Scenario::from_text("[output]\ncompression = 4\n", "inline.toml");
  scenario.set("output.compression=7");
  scenario.set("city.generator.n_buildings = 120");
  scenario.set("name=downtown");  // a bare word is a string
  scenario.set("time.start=2024-06-21T00:00:00+02:00");
  scenario.set("models.solar.enabled=true");
  const ScenarioSettings settings = scenario.settings();
  EXPECT_EQ(settings.output.compression, 7);
  EXPECT_EQ(settings.generator.n_buildings, 120);
  EXPECT_EQ(settings.name, "downtown");
  EXPECT_EQ(settings.start_utc_s, 1718920800);
  EXPECT_EQ(settings.models, std::vector<std::string>{"solar"});
  EXPECT_EQ(scenario.tree().find_path("output.compression")->where().file, "<command line>");
}

TEST(ScenarioSet, ErrorsNameTheCommandLineAndKey) {
  // a bad value shows up when the settings are validated
  Scenario scenario = Scenario::from_text("", "inline.toml");
  scenario.set("output.compression=12");
  EXPECT_INPUT_ERROR(scenario.settings(),
                     "^<command line>.*error: output\\.compression must be between 0 and 9 "
                     "\\(got 12\\)");

  // a malformed assignment is rejected at once
  EXPECT_INPUT_ERROR(scenario.set("output.compression"),
                     "<command line>.*error: cannot apply 'output\\.compression': an override "
                     "is written key\\.path=value");
  EXPECT_INPUT_ERROR(scenario.set("output..x=1"), "is not a dotted key path");
  EXPECT_INPUT_ERROR(scenario.set("output.compression.level=1"),
                     "error: output\\.compression\\.level cannot be set: output\\.compression is "
                     "an integer, not a table");
}

// ---------------------------------------------------------------------------------------------
// hashing, round trip, paths

TEST(ScenarioHash, Sha256OfKnownStrings) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const Scenario scenario = Scenario::from_text("seed = 1\n", "inline.toml");
  EXPECT_EQ(scenario.sha256(), sha256_hex(scenario.resolved_toml()));
  EXPECT_NE(scenario.sha256(), Scenario::from_text("seed = 2\n", "inline.toml").sha256());
}

TEST(ScenarioRoundTrip, ResolvedTomlGivesTheSameSettings) {
  Scenario scenario = Scenario::from_text(R"(
name = "round trip"
seed = 9
[time]
start = 2024-06-21T00:00:00
time_zone = "Europe/Paris"
dt_s = 600
end = 2024-06-22T12:00:00
[city.generator]
n_buildings = 30
residents_per_m2 = 0.03
[output]
interval = "2h"
flush_interval = 2.5
[models.solar]
panels = [1.5, 2.0]
[models.bikeshare]
)",
                                          "inline.toml");
  scenario.set("output.compression=1");
  const ScenarioSettings original = scenario.settings();
  const Scenario reparsed = Scenario::from_text(scenario.resolved_toml(), "resolved.toml");
  expect_same_settings(reparsed.settings(), original);
  EXPECT_EQ(reparsed.resolved_toml(), scenario.resolved_toml());
  EXPECT_EQ(original.n_ticks, 216);  // 36 h / 600 s
}

TEST(ScenarioPaths, ResolvesDataAndRelativePaths) {
  const fs::path dir = fresh_dir("paths");
  const Scenario scenario = Scenario::from_text("", "inline.toml", dir / "scenarios");
  {
    // CITYTWIN_DATA wins
    const DataEnvGuard env("/srv/citytwin-data");
    EXPECT_EQ(scenario.data_dir(), fs::path("/srv/citytwin-data"));
    EXPECT_EQ(scenario.resolve_path("${data}/weather/lyon.epw"),
              fs::path("/srv/citytwin-data/weather/lyon.epw"));
  }
  EXPECT_EQ(scenario.resolve_path("stations.csv"), dir / "scenarios" / "stations.csv");
  EXPECT_EQ(scenario.resolve_path("/abs/file.csv"), fs::path("/abs/file.csv"));
}

TEST(ScenarioPaths, DataDirKeyThenRepositoryRoot) {
  const DataEnvGuard env(nullptr);
  const fs::path dir = fresh_dir("data_dir");

  // the data_dir key, relative to the scenario folder
  const Scenario keyed = Scenario::from_text("data_dir = \"../real\"\n", "inline.toml", dir / "s");
  EXPECT_EQ(keyed.data_dir(), dir / "real");

  // else ../shared/data beside the checkout that holds the scenario
  fs::create_directories(dir / "checkout" / ".git");
  write_file(dir / "checkout" / "scenarios" / "x.toml", "seed = 1\n");
  const Scenario in_checkout = Scenario::load(dir / "checkout" / "scenarios" / "x.toml");
  EXPECT_EQ(in_checkout.data_dir(), dir / "shared" / "data");
  EXPECT_EQ(in_checkout.resolve_path("${data}/gbfs/x.json"),
            dir / "shared" / "data" / "gbfs" / "x.json");
}

}  // namespace
}  // namespace citytwin::io
