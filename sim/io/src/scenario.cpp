// Scenario files: loading with `extends`, --set overrides, and validation of the core sections.
#include <citytwin/io/scenario.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nettle/sha2.h>

#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::io {
namespace {

namespace fs = std::filesystem;
using sim::ConfigNode;
using sim::ConfigReader;
using sim::Range;
using sim::SourcePos;

constexpr const char* kCommandLine = "<command line>";  // file name of --set values
constexpr double kMaxDtS = 86400.0;                     // [s] longest base tick: one day
constexpr std::string_view kDataPrefix = "${data}";     // placeholder of data_dir()
constexpr const char* kDateTimeExample =
    "a date-time such as 2024-06-21T00:00:00 (local time in time.time_zone) or "
    "2024-06-21T00:00:00+02:00";

/// Records an error about `key_path`, written at `where`; the message starts with the key path.
void report(sim::Diagnostics& diagnostics, const SourcePos& where, const std::string& key_path,
            const std::string& text) {
  diagnostics.error(where.file, where.line, where.column, key_path, key_path + " " + text);
}

/// Throws a single InputError about `key_path` (or about the file when `key_path` is empty).
[[noreturn]] void throw_issue(const SourcePos& where, const std::string& key_path,
                              const std::string& message) {
  throw InputError(InputIssue{where.file, where.line, where.column, key_path, message});
}

/// Quotes a value for a message: 'text'.
std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

/// Formats a written value for the "(got ...)" part of a message.
std::string shown(const ConfigNode& node) {
  switch (node.kind()) {
    case ConfigNode::Kind::kString:
      return in_quotes(node.as_string());
    case ConfigNode::Kind::kDateTime:
      return node.as_string();
    case ConfigNode::Kind::kInteger:
      return std::to_string(node.as_integer());
    default:
      return node.kind_name();
  }
}

// ---------------------------------------------------------------------------------------------
// loading and extends

/// One file of an `extends` chain: its name in messages and its identity on disk.
struct ChainLink {
  std::string display;  ///< the path as messages show it
  fs::path identity;    ///< weakly canonical path, to detect cycles
};

fs::path identity_of(const fs::path& path) {
  std::error_code error;
  fs::path identity = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : identity;
}

/// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_text(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ConfigNode load_tree(const fs::path& path, const SourcePos* named_at,
                     std::vector<ChainLink>& chain);

/// Replaces `tree` by its `extends` base (loaded recursively) with `tree` merged over it.
ConfigNode resolve_extends(ConfigNode tree, const fs::path& base_dir,
                           std::vector<ChainLink>& chain) {
  // no extends: the tree is complete
  const ConfigNode* extends = tree.find("extends");
  if (extends == nullptr) return tree;
  if (extends->kind() != ConfigNode::Kind::kString || extends->as_string().empty()) {
    throw_issue(extends->where(), "extends",
                "extends must name the base scenario file, e.g. extends = \"base.toml\" (got " +
                    shown(*extends) + ")");
  }

  // load the base, relative to the folder of the extending file
  const SourcePos where = extends->where();
  const fs::path written(extends->as_string());
  const fs::path base_path =
      written.is_absolute() ? written : (base_dir / written).lexically_normal();
  ConfigNode resolved = load_tree(base_path, &where, chain);

  // the variant overrides its base; the extends key itself is spent
  tree.erase("extends");
  resolved.merge(tree);
  return resolved;
}

/// Loads one file of a chain and everything it extends. `named_at` is the `extends` key that
/// names it (nullptr for the main file).
ConfigNode load_tree(const fs::path& path, const SourcePos* named_at,
                     std::vector<ChainLink>& chain) {
  // a file that extends itself, directly or not, is a cycle
  const std::string display = path.string();
  const fs::path identity = identity_of(path);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain[i].identity != identity) continue;
    std::string cycle;
    for (std::size_t j = i; j < chain.size(); ++j) cycle += chain[j].display + " -> ";
    cycle += display;
    throw_issue(*named_at, "extends",
                "extends forms a cycle: " + cycle + " (remove the extends that closes it)");
  }

  // read the text
  const std::optional<std::string> text = read_text(path);
  if (!text) {
    if (named_at != nullptr) {
      throw_issue(*named_at, "extends",
                  "extends names " + in_quotes(display) +
                      ", which does not exist or cannot be read (the path is relative to the "
                      "extending file)");
    }
    throw_issue(SourcePos{display, 0, 0}, "",
                "cannot read the scenario file: it does not exist or is not a readable file");
  }

  // parse, then resolve what it extends
  chain.push_back({display, identity});
  ConfigNode tree = parse_toml(*text, display);
  ConfigNode resolved = resolve_extends(std::move(tree), path.parent_path(), chain);
  chain.pop_back();
  return resolved;
}

/// Rebuilds `node` with every position set to `where` (values given on the command line).
ConfigNode restamp(const ConfigNode& node, const SourcePos& where) {
  switch (node.kind()) {
    case ConfigNode::Kind::kTable: {
      ConfigNode out = ConfigNode::table(where);
      for (const ConfigNode::Entry& entry : node.entries()) {
        out.insert(entry.first, restamp(entry.second, where));
      }
      return out;
    }
    case ConfigNode::Kind::kArray: {
      ConfigNode out = ConfigNode::array(where);
      for (const ConfigNode& item : node.items()) out.push_back(restamp(item, where));
      return out;
    }
    case ConfigNode::Kind::kString:
      return ConfigNode::string(node.as_string(), where);
    case ConfigNode::Kind::kInteger:
      return ConfigNode::integer(node.as_integer(), where);
    case ConfigNode::Kind::kFloat:
      return ConfigNode::floating(node.as_float(), where);
    case ConfigNode::Kind::kBoolean:
      return ConfigNode::boolean(node.as_bool(), where);
    case ConfigNode::Kind::kDateTime:
      return ConfigNode::date_time(node.as_string(), where);
  }
  CITYTWIN_CHECK(false, "ConfigNode of no known kind");
  return ConfigNode::table(where);
}

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

/// Returns whether `key_path` is a dotted path of bare TOML keys ("models.solar.enabled").
bool is_key_path(std::string_view key_path) {
  if (key_path.empty() || key_path.front() == '.' || key_path.back() == '.') return false;
  char previous = '.';
  for (const char c : key_path) {
    const bool is_bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!is_bare && c != '.') return false;
    if (c == '.' && previous == '.') return false;
    previous = c;
  }
  return true;
}

/// Parses the value of a --set assignment: a TOML value, else the raw text as a string.
ConfigNode parse_set_value(std::string_view value_text) {
  const SourcePos where{kCommandLine, 0, 0};
  try {
    const ConfigNode parsed = parse_toml("v = " + std::string(value_text), kCommandLine);
    // exactly one value: anything else (a newline and more keys) is taken as plain text
    if (parsed.entries().size() == 1 && parsed.entries().front().first == "v") {
      return restamp(parsed.entries().front().second, where);
    }
  } catch (const InputError&) {
    // not a TOML value: a bare word such as downtown is meant as a string
  }
  return ConfigNode::string(std::string(value_text), where);
}

// ---------------------------------------------------------------------------------------------
// date-times

/// A civil date-time as written: local, or with a UTC offset.
struct WrittenDateTime {
  int year = 0;                 ///< Gregorian year
  int month = 0;                ///< 1..12
  int day = 0;                  ///< 1..31
  int hour = 0;                 ///< 0..23
  int minute = 0;               ///< 0..59
  int second = 0;               ///< 0..59
  std::optional<int> offset_s;  ///< [s] local minus UTC when written; nullopt = local time
};

/// Reads `n_digits` decimal digits at `pos`, advancing it.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t n_digits) {
  if (pos + n_digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n_digits; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n_digits;
  return value;
}

bool read_char(std::string_view text, std::size_t& pos, std::string_view allowed) {
  if (pos >= text.size() || allowed.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

/// Parses "YYYY-MM-DD[(T| )HH:MM[:SS[.000]]][Z|+HH:MM|-HH:MM]" with whole seconds; nullopt when
/// the text is not such a date-time or names no real date.
std::optional<WrittenDateTime> parse_date_time(std::string_view text) {
  WrittenDateTime out;
  std::size_t pos = 0;

  // the date
  const std::optional<int> year = read_digits(text, pos, 4);
  if (!year || !read_char(text, pos, "-")) return std::nullopt;
  const std::optional<int> month = read_digits(text, pos, 2);
  if (!month || !read_char(text, pos, "-")) return std::nullopt;
  const std::optional<int> day = read_digits(text, pos, 2);
  if (!day) return std::nullopt;
  out.year = *year;
  out.month = *month;
  out.day = *day;
  const std::chrono::year_month_day ymd{std::chrono::year{out.year},
                                        std::chrono::month{static_cast<unsigned>(out.month)},
                                        std::chrono::day{static_cast<unsigned>(out.day)}};
  if (!ymd.ok()) return std::nullopt;
  if (pos == text.size()) return out;

  // the time of day; seconds are optional, fractions must be zero
  if (!read_char(text, pos, "Tt ")) return std::nullopt;
  const std::optional<int> hour = read_digits(text, pos, 2);
  if (!hour || !read_char(text, pos, ":")) return std::nullopt;
  const std::optional<int> minute = read_digits(text, pos, 2);
  if (!minute) return std::nullopt;
  out.hour = *hour;
  out.minute = *minute;
  if (read_char(text, pos, ":")) {
    const std::optional<int> second = read_digits(text, pos, 2);
    if (!second) return std::nullopt;
    out.second = *second;
    if (read_char(text, pos, ".")) {
      const std::size_t first_digit = pos;
      while (pos < text.size() && text[pos] == '0') ++pos;
      if (pos == first_digit || (pos < text.size() && text[pos] >= '1' && text[pos] <= '9')) {
        return std::nullopt;
      }
    }
  }
  if (out.hour > 23 || out.minute > 59 || out.second > 59) return std::nullopt;

  // the UTC offset, if any
  if (read_char(text, pos, "Zz")) {
    out.offset_s = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const std::optional<int> offset_h = read_digits(text, pos, 2);
    if (!offset_h || !read_char(text, pos, ":")) return std::nullopt;
    const std::optional<int> offset_min = read_digits(text, pos, 2);
    if (!offset_min || *offset_h > 23 || *offset_min > 59) return std::nullopt;
    out.offset_s = sign * (*offset_h * 3600 + *offset_min * 60);
  }
  if (pos != text.size()) return std::nullopt;
  return out;
}

/// [s] Unix time of a date-time written with a UTC offset.
std::int64_t unix_from_offset(const WrittenDateTime& written) {
  const std::chrono::year_month_day ymd{std::chrono::year{written.year},
                                        std::chrono::month{static_cast<unsigned>(written.month)},
                                        std::chrono::day{static_cast<unsigned>(written.day)}};
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  const std::int64_t second_of_day =
      std::int64_t{written.hour} * 3600 + std::int64_t{written.minute} * 60 + written.second;
  return days * 86400 + second_of_day - written.offset_s.value_or(0);
}

/// Converts a date-time value (TOML date-time or string) to Unix seconds; local times are read
/// in `time_zone` (skipped, returning nullopt, when the zone itself is invalid).
std::optional<std::int64_t> read_instant(sim::Diagnostics& diagnostics, const ConfigNode& node,
                                         const std::string& key_path, const std::string& time_zone,
                                         bool zone_ok) {
  // a date-time, written as TOML or as a string
  if (node.kind() != ConfigNode::Kind::kDateTime && node.kind() != ConfigNode::Kind::kString) {
    report(diagnostics, node.where(), key_path,
           "must be " + std::string(kDateTimeExample) + " (got " + node.kind_name() + ")");
    return std::nullopt;
  }
  const std::optional<WrittenDateTime> written = parse_date_time(node.as_string());
  if (!written) {
    report(diagnostics, node.where(), key_path,
           "must be " + std::string(kDateTimeExample) + ", in whole seconds (got " + shown(node) +
               ")");
    return std::nullopt;
  }

  // an offset fixes the instant; a local time needs the zone
  if (written->offset_s) return unix_from_offset(*written);
  if (!zone_ok) return std::nullopt;
  try {
    return sim::Clock::unix_from_local(written->year, written->month, written->day, written->hour,
                                       written->minute, written->second, time_zone);
  } catch (const std::invalid_argument&) {
    report(diagnostics, node.where(), key_path,
           "does not exist in " + time_zone +
               " (the clocks skip it when daylight saving time starts): choose another time (got " +
               shown(node) + ")");
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------------
// sections

/// Returns the sub-table `key` of `parent` (nullptr when absent); reports a value that is not
/// a table.
const ConfigNode* sub_table(ConfigReader& parent, std::string_view key) {
  const ConfigNode* node = parent.node(key);
  if (node == nullptr || node->is_table()) return node;
  const std::string key_path = parent.key_path(key);
  report(parent.diagnostics(), node->where(), key_path,
         "must be a table, written [" + key_path + "] (got " + node->kind_name() + ")");
  return nullptr;
}

/// Reads a non-negative integer into an unsigned seed.
void read_seed(ConfigReader& reader, std::string_view key, std::uint64_t& seed) {
  std::int64_t value = 0;
  if (reader.read(key, value, Range::non_negative())) seed = static_cast<std::uint64_t>(value);
}

/// Reads [time] into `settings`; returns whether dt_s is valid (written or not).
bool read_time(ConfigReader& reader, ScenarioSettings& settings) {
  sim::Diagnostics& diagnostics = reader.diagnostics();

  // the time zone comes first: local start and end times are read in it
  bool zone_ok = true;
  if (reader.read("time_zone", settings.time_zone) &&
      !sim::Clock::is_valid_time_zone(settings.time_zone)) {
    report(diagnostics, reader.node("time_zone")->where(), reader.key_path("time_zone"),
           "must be an IANA time zone name such as \"Europe/Paris\", \"America/New_York\" or "
           "\"UTC\" (got " +
               in_quotes(settings.time_zone) + ")");
    zone_ok = false;
  }

  // the base tick
  const bool dt_written = reader.has("dt_s");
  const bool dt_ok = reader.read("dt_s", settings.dt_s, Range::between(1, kMaxDtS)) || !dt_written;

  // the start instant, written or the default
  std::optional<std::int64_t> start_utc_s;
  if (const ConfigNode* start = reader.node("start"); start != nullptr) {
    start_utc_s =
        read_instant(diagnostics, *start, reader.key_path("start"), settings.time_zone, zone_ok);
    if (start_utc_s) settings.start_text = start->as_string();
  } else {
    const ConfigNode fallback = ConfigNode::string(settings.start_text, SourcePos{});
    start_utc_s =
        read_instant(diagnostics, fallback, reader.key_path("start"), settings.time_zone, zone_ok);
  }
  if (start_utc_s) settings.start_utc_s = *start_utc_s;

  // the run length: duration or end, never both
  const bool has_duration = reader.has("duration");
  const bool has_end = reader.has("end");
  bool length_ok = true;
  const ConfigNode* length_node = nullptr;
  if (has_duration && has_end) {
    report(diagnostics, reader.node("end")->where(), reader.key_path("end"),
           "and " + reader.key_path("duration") +
               " are both set: keep only one of them (end is exclusive)");
    length_ok = false;
  } else if (has_duration) {
    length_node = reader.node("duration");
    length_ok = reader.read_duration_s("duration", settings.duration_s, Range::positive());
  } else if (has_end) {
    length_node = reader.node("end");
    const std::optional<std::int64_t> end_utc_s = read_instant(
        diagnostics, *length_node, reader.key_path("end"), settings.time_zone, zone_ok);
    length_ok = end_utc_s.has_value() && start_utc_s.has_value();
    if (length_ok && *end_utc_s <= *start_utc_s) {
      report(diagnostics, length_node->where(), reader.key_path("end"),
             "must be after time.start = " + settings.start_text + " (got " + shown(*length_node) +
                 ")");
      length_ok = false;
    } else if (length_ok) {
      settings.duration_s = *end_utc_s - *start_utc_s;
    }
  }

  // whole ticks only
  if (dt_ok && length_ok && settings.duration_s % settings.dt_s != 0) {
    const std::string dt_text = "time.dt_s = " + std::to_string(settings.dt_s) + " s";
    const std::string got = "(got " + std::to_string(settings.duration_s) + " s)";
    if (length_node == nullptr) {
      report(diagnostics, reader.node("dt_s")->where(), reader.key_path("dt_s"),
             "must divide the default time.duration of " + std::to_string(settings.duration_s) +
                 " s: set time.duration to a whole multiple of it (got " +
                 std::to_string(settings.dt_s) + ")");
    } else if (has_end) {
      report(diagnostics, length_node->where(), reader.key_path("end"),
             "must lie a whole multiple of " + dt_text + " after time.start " + got);
    } else {
      report(diagnostics, length_node->where(), reader.key_path("duration"),
             "must be a whole multiple of " + dt_text + " " + got);
    }
    length_ok = false;
  }
  if (dt_ok && length_ok) settings.n_ticks = settings.duration_s / settings.dt_s;
  reader.finish();
  return dt_ok;
}

/// Reads [city] and [city.generator] into `settings`.
void read_city(ConfigReader& reader, ScenarioSettings& settings) {
  // where the buildings come from
  if (reader.read("buildings", settings.city_buildings) && settings.city_buildings.empty()) {
    report(reader.diagnostics(), reader.node("buildings")->where(), reader.key_path("buildings"),
           "must be \"generated\" or the path of a buildings file (got '')");
  }

  // options of the 3D city readers (CityJSON, GeoJSON footprints)
  reader.read("crs", settings.city_crs);
  if (reader.read("lod", settings.city_lod)) {
    const std::string& lod = settings.city_lod;
    const bool digits = !lod.empty() && lod.find_first_not_of("0123456789.") == std::string::npos &&
                        lod.front() != '.' && lod.back() != '.';
    if (lod != "highest" && !digits) {
      report(reader.diagnostics(), reader.node("lod")->where(), reader.key_path("lod"),
             "must be \"highest\" or a CityJSON level of detail such as \"2.2\", \"2\" or \"1.2\" (got " +
                 in_quotes(lod) + ")");
    }
  }
  reader.read("default_height_m", settings.city_default_height_m, Range::between(0.5, 1000.0));
  reader.read("storey_height_m", settings.city_storey_height_m, Range::between(1.0, 10.0));

  // the synthetic city
  ConfigReader generator(sub_table(reader, "generator"), reader.key_path("generator"),
                         reader.diagnostics());
  sim::CityGeneratorOptions& options = settings.generator;
  read_seed(generator, "seed", options.seed);
  generator.read("n_buildings", options.n_buildings, Range::between(1, 1'000'000));
  generator.read("block_size_m", options.block_size_m, Range::between(20.0, 2000.0));
  generator.read("arterial_every", options.arterial_every, Range::between(1, 1000));
  generator.read("origin_lat_deg", options.origin_lat_deg, Range::between(-90.0, 90.0));
  generator.read("origin_lon_deg", options.origin_lon_deg, Range::between(-180.0, 180.0));
  generator.read("terrain_relief_m", options.terrain_relief_m, Range::between(0.0, 1000.0));
  generator.read("residents_per_m2", options.residents_per_m2, Range::between(0.0, 1.0));
  generator.read("jobs_per_m2", options.jobs_per_m2, Range::between(0.0, 1.0));
  generator.finish();
  reader.finish();
}

/// Reads [output] into `settings` (after [time], whose dt_s the interval must be a multiple of).
void read_output(ConfigReader& reader, ScenarioSettings& settings, bool dt_ok,
                 const ConfigNode* dt_node) {
  sim::Diagnostics& diagnostics = reader.diagnostics();
  OutputSettings& output = settings.output;
  reader.read("path", output.path);

  // the output interval, a whole number of ticks
  const bool interval_written = reader.has("interval");
  const bool interval_ok =
      reader.read_duration_s("interval", output.interval_s, Range::positive()) || !interval_written;
  if (dt_ok && interval_ok && output.interval_s % settings.dt_s != 0) {
    const std::string dt_text = "time.dt_s = " + std::to_string(settings.dt_s) + " s";
    const std::string got = std::to_string(output.interval_s) + " s";
    if (interval_written) {
      report(diagnostics, reader.node("interval")->where(), reader.key_path("interval"),
             "must be a whole multiple of " + dt_text + " (got " + got + ")");
    } else {
      report(diagnostics, dt_node != nullptr ? dt_node->where() : SourcePos{},
             reader.key_path("interval"),
             "must be a whole multiple of " + dt_text + " (got the default " + got +
                 "): set output.interval");
    }
  }

  // compression and flushing
  reader.read("compression", output.compression, Range::between(0, 9));
  reader.read("flush_every", output.flush_every,
              Range::between(1, std::numeric_limits<double>::infinity()));
  const ConfigNode* flush_interval = reader.node("flush_interval");
  if (flush_interval != nullptr && flush_interval->kind() == ConfigNode::Kind::kString) {
    std::int64_t flush_interval_s = 0;
    if (reader.read_duration_s("flush_interval", flush_interval_s, Range::non_negative())) {
      output.flush_interval_s = static_cast<double>(flush_interval_s);
    }
  } else {
    reader.read("flush_interval", output.flush_interval_s, Range::non_negative());
  }
  reader.read("city", output.city);
  reader.finish();
}

/// Lists the model sections: each entry of [models] must be a table.
void read_models(ConfigReader& root, ScenarioSettings& settings) {
  const ConfigNode* models = sub_table(root, "models");
  if (models == nullptr) return;
  for (const ConfigNode::Entry& entry : models->entries()) {
    if (entry.second.is_table()) {
      settings.models.push_back(entry.first);
      continue;
    }
    const std::string key_path = "models." + entry.first;
    report(root.diagnostics(), entry.second.where(), key_path,
           "must be a table: write [" + key_path + "] and its settings below it (got " +
               entry.second.kind_name() + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// data folder

/// Returns whether `dir` is the root of a citytwin checkout.
bool is_repository_root(const fs::path& dir) {
  std::error_code error;
  if (fs::exists(dir / ".git", error)) return true;
  const std::optional<std::string> cmake = read_text(dir / "CMakeLists.txt");
  return cmake && cmake->find("project(citytwin") != std::string::npos;
}

/// Walks up from `start` to the repository root; nullopt when there is none.
std::optional<fs::path> find_repository_root(const fs::path& start) {
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    if (is_repository_root(dir)) return dir;
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

/// Throws every recorded problem, sorted by file (in order of first mention), line and column,
/// so that a reader meets them top to bottom.
void throw_in_written_order(const sim::Diagnostics& diagnostics) {
  if (!diagnostics.has_errors()) return;
  std::vector<std::string> files;
  for (const InputIssue& issue : diagnostics.errors()) {
    if (std::find(files.begin(), files.end(), issue.file) == files.end()) {
      files.push_back(issue.file);
    }
  }
  const auto rank = [&files](const InputIssue& issue) {
    return std::find(files.begin(), files.end(), issue.file) - files.begin();
  };
  std::vector<InputIssue> issues = diagnostics.errors();
  std::stable_sort(issues.begin(), issues.end(), [&rank](const InputIssue& a, const InputIssue& b) {
    const auto a_rank = rank(a);
    const auto b_rank = rank(b);
    if (a_rank != b_rank) return a_rank < b_rank;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  sim::Diagnostics ordered;
  for (InputIssue& issue : issues) ordered.error(std::move(issue));
  ordered.throw_if_errors();
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Scenario

Scenario Scenario::load(const std::filesystem::path& path) {
  Scenario scenario;
  std::vector<ChainLink> chain;
  scenario.tree_ = load_tree(path, nullptr, chain);
  scenario.path_ = path;
  scenario.dir_ = path.parent_path();
  return scenario;
}

Scenario Scenario::from_text(std::string_view toml, std::string file_name,
                             std::filesystem::path dir) {
  // the text is the first link of its extends chain
  std::vector<ChainLink> chain{{file_name, identity_of(dir / file_name)}};
  Scenario scenario;
  scenario.tree_ = resolve_extends(parse_toml(toml, file_name), dir, chain);
  scenario.dir_ = std::move(dir);
  return scenario;
}

void Scenario::set(std::string_view assignment) {
  // split key.path=value
  const SourcePos where{kCommandLine, 0, 0};
  const std::size_t equals = assignment.find('=');
  if (equals == std::string_view::npos) {
    throw_issue(where, "",
                "cannot apply " + in_quotes(assignment) +
                    ": an override is written key.path=value, e.g. output.compression=6 or "
                    "time.start=2024-06-21T00:00:00");
  }
  const std::string key_path(trim(assignment.substr(0, equals)));
  const std::string_view value_text = trim(assignment.substr(equals + 1));
  if (!is_key_path(key_path)) {
    throw_issue(where, key_path,
                "cannot apply " + in_quotes(assignment) + ": " + in_quotes(key_path) +
                    " is not a dotted key path such as output.compression");
  }

  // every prefix of the path must be a table (or absent)
  std::string prefix;
  for (std::size_t dot = key_path.find('.'); dot != std::string::npos;
       dot = key_path.find('.', dot + 1)) {
    prefix = key_path.substr(0, dot);
    const ConfigNode* node = tree_.find_path(prefix);
    if (node != nullptr && !node->is_table()) {
      std::string message = key_path;
      message += " cannot be set: " + prefix + " is " + node->kind_name() + ", not a table";
      throw_issue(where, key_path, message);
    }
  }
  tree_.set_path(key_path, parse_set_value(value_text));
}

void Scenario::set(std::string_view key_path, sim::ConfigNode value) {
  tree_.set_path(key_path, std::move(value));
}

ScenarioSettings Scenario::settings() const {
  ScenarioSettings settings;
  sim::Diagnostics diagnostics;
  ConfigReader root(&tree_, "", diagnostics);

  // root keys (data_dir is used by data_dir(), extends was resolved at load)
  root.read("name", settings.name);
  root.read("description", settings.description);
  read_seed(root, "seed", settings.seed);
  std::string data_dir_text;
  root.read("data_dir", data_dir_text);
  root.accept("extends");

  // [time]
  ConfigReader time(sub_table(root, "time"), "time", diagnostics);
  const bool dt_ok = read_time(time, settings);
  const ConfigNode* dt_node = time.table() != nullptr ? time.table()->find("dt_s") : nullptr;

  // [city], [output], [models]
  ConfigReader city(sub_table(root, "city"), "city", diagnostics);
  read_city(city, settings);
  ConfigReader output(sub_table(root, "output"), "output", diagnostics);
  read_output(output, settings, dt_ok, dt_node);
  read_models(root, settings);

  // unknown root keys, then every problem at once, in the order they were written
  root.finish();
  throw_in_written_order(diagnostics);
  return settings;
}

std::string Scenario::resolved_toml() const { return tree_.to_toml(); }

std::string Scenario::sha256() const { return sha256_hex(resolved_toml()); }

std::filesystem::path Scenario::data_dir() const {
  // the environment wins: it points at the real data of this machine
  if (const char* env = std::getenv("CITYTWIN_DATA"); env != nullptr && *env != '\0') {
    return {env};
  }

  // then the scenario's data_dir key, relative to the scenario folder
  if (const ConfigNode* key = tree_.find("data_dir");
      key != nullptr && key->kind() == ConfigNode::Kind::kString && !key->as_string().empty()) {
    const fs::path written(key->as_string());
    return written.is_absolute() || dir_.empty() ? written : (dir_ / written).lexically_normal();
  }

  // else ../shared/data beside the checkout holding the scenario (or the working folder)
  std::error_code error;
  const fs::path cwd = fs::current_path(error);
  const fs::path scenario_dir = dir_.empty() ? cwd : fs::absolute(dir_, error);
  for (const fs::path& start : {scenario_dir, cwd}) {
    if (const std::optional<fs::path> root = find_repository_root(start)) {
      return (*root / ".." / "shared" / "data").lexically_normal();
    }
  }
  return {};
}

std::filesystem::path Scenario::resolve_path(const std::string& written) const {
  // ${data}/x: a file of the shared real-data folder
  if (std::string_view(written).starts_with(kDataPrefix)) {
    const fs::path data = data_dir();
    if (data.empty()) {
      throw_issue(SourcePos{path_.string(), 0, 0}, "",
                  in_quotes(written) +
                      " uses ${data}, but the data folder is unknown: set CITYTWIN_DATA or the "
                      "root key data_dir");
    }
    std::string_view rest = std::string_view(written).substr(kDataPrefix.size());
    while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
    return rest.empty() ? data : (data / rest).lexically_normal();
  }

  // relative paths start at the scenario folder; absolute ones are kept
  fs::path path(written);
  if (path.is_absolute() || dir_.empty()) return path;
  return (dir_ / path).lexically_normal();
}

std::string sha256_hex(std::string_view data) {
  // digest with Nettle (docs/architecture.md: a small library, where loading OpenSSL's libcrypto
  // cost ~1 ms of every process start)
  sha256_ctx ctx{};
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
  sha256_digest(&ctx, digest.size(), digest.data());
  const std::size_t n_bytes = digest.size();

  // lowercase hex
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(std::size_t{2} * n_bytes);
  for (std::size_t i = 0; i < n_bytes; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace citytwin::io
