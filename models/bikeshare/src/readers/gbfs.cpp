#include <citytwin/bikeshare/readers/gbfs.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <citytwin/sim/error.hpp>

// GBFS reader: station_information (1.1, 2.x, 3.0) and station_status snapshot folders.
// Field names follow the GBFS reference (github.com/MobilityData/gbfs); see
// docs/models/bikeshare.md#stations and #status-replay.
namespace citytwin::bikeshare {
namespace {

using nlohmann::json;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

/// Reads a whole file; throws InputError naming it when it cannot be opened.
std::string read_text(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(InputIssue{path.string(), 0, 0, "",
                                std::string("cannot open the ") + what + "; check the path"});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Parses JSON text; a syntax error becomes an InputError with the line and column.
json parse_json(const std::string& text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    // line and column of the failing byte (1-based)
    int line = 1;
    int column = 1;
    const std::size_t end = std::min<std::size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw InputError(InputIssue{file, line, column, "",
                                std::string("not valid JSON (") + error.what() +
                                    "); a GBFS file must be one JSON object"});
  }
}

/// Collects problems of one file, so that all of them are reported at once.
struct Issues {
  std::string file;
  std::vector<InputIssue> list;

  void add(const std::string& key, std::string message) {
    // the key leads the message, since the formatted line shows only file and position
    list.push_back(InputIssue{file, 0, 0, key, key.empty() ? std::move(message) : key + ": " + message});
  }
  void throw_if_any() {
    if (!list.empty()) throw InputError(std::move(list));
  }
};

/// Parses an RFC 3339 time ("2023-06-14T10:00:00Z", "+02:00" offsets, fractions) to Unix s.
bool parse_rfc3339(const std::string& text, std::int64_t& unix_s) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return false;
  }
  std::size_t pos = static_cast<std::size_t>(consumed);
  // skip a fraction of a second
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) ++pos;
  }
  // the offset from UTC
  std::int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_h = 0;
    int offset_min = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &offset_h, &offset_min) != 2) return false;
    offset_s = (text[pos] == '-' ? -1 : 1) * (offset_h * 3600 + offset_min * 60);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 31) return false;
  // days from the civil date (H. Hinnant's algorithm)
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? 0u - 3u : 9u)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  unix_s = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return true;
}

/// Reads a time that is an integer (GBFS 1.1/2.x) or an RFC 3339 string (GBFS 3.0).
bool read_time(const json& value, std::int64_t& unix_s) {
  if (value.is_number_integer() || value.is_number_unsigned()) {
    unix_s = value.get<std::int64_t>();
    return true;
  }
  if (value.is_number_float()) {
    unix_s = static_cast<std::int64_t>(std::llround(value.get<double>()));
    return true;
  }
  if (value.is_string()) return parse_rfc3339(value.get<std::string>(), unix_s);
  return false;
}

/// Reads a GBFS boolean, written as true/false or 1/0; -1 when it is neither.
std::int8_t read_flag(const json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    const std::int64_t number = value.get<std::int64_t>();
    if (number == 0 || number == 1) return static_cast<std::int8_t>(number);
  }
  return -1;
}

/// The `data.stations` array of a GBFS file; records an issue when it is missing.
const json* stations_array(const json& root, Issues& issues) {
  if (!root.is_object()) {
    issues.add("", "the top level must be a JSON object with 'data.stations'");
    return nullptr;
  }
  const auto data = root.find("data");
  if (data == root.end() || !data->is_object()) {
    issues.add("data", "missing object 'data'; a GBFS file has {\"data\": {\"stations\": [...]}}");
    return nullptr;
  }
  const auto stations = data->find("stations");
  if (stations == data->end() || !stations->is_array()) {
    issues.add("data.stations", "missing array 'data.stations'; is this a station file of a GBFS feed?");
    return nullptr;
  }
  return &*stations;
}

/// Reads a station id: GBFS says string, some feeds write numbers.
bool read_id(const json& value, std::string& id) {
  if (value.is_string()) {
    id = value.get<std::string>();
    return !id.empty();
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    id = std::to_string(value.get<std::int64_t>());
    return true;
  }
  return false;
}

/// Picks a name: a plain string (1.1/2.x) or the preferred language of a localised array (3.0).
bool read_name(const json& value, const std::string& language, std::string& name) {
  if (value.is_string()) {
    name = value.get<std::string>();
    return true;
  }
  if (!value.is_array() || value.empty()) return false;
  // the preferred language, else the first entry
  const json* chosen = &value.front();
  for (const json& entry : value) {
    if (entry.is_object() && !language.empty() && entry.value("language", "") == language) {
      chosen = &entry;
      break;
    }
  }
  if (!chosen->is_object() || !chosen->contains("text") || !(*chosen)["text"].is_string()) return false;
  name = (*chosen)["text"].get<std::string>();
  return true;
}

/// Reads an optional count; NaN when absent or null, false when it is not a number >= 0.
bool read_count(const json& station, const char* key, double& count) {
  const auto it = station.find(key);
  count = kNan;
  if (it == station.end() || it->is_null()) return true;
  if (!it->is_number()) return false;
  count = it->get<double>();
  return count >= 0.0 && std::isfinite(count);
}

/// One station record of one snapshot.
struct StatusRecord {
  std::string station_id;
  double bikes = kNan;
  double docks = kNan;
  double bikes_disabled = kNan;
  double docks_disabled = kNan;
  double ebikes = kNan;
  double last_reported_s = kNan;
  std::int8_t is_installed = -1;
  std::int8_t is_renting = -1;
  std::int8_t is_returning = -1;
  std::vector<std::pair<std::string, double>> vehicle_counts;
  bool has_vehicle_types = false;
};

/// One parsed snapshot file.
struct Snapshot {
  std::string file;
  std::int64_t time_s = 0;
  std::vector<StatusRecord> records;
};

/// Parses one station_status file; every problem is collected before throwing.
Snapshot read_snapshot(const std::filesystem::path& path, const StatusReadOptions& options) {
  Snapshot snapshot;
  snapshot.file = path.string();
  const json root = parse_json(read_text(path, "GBFS station_status file"), snapshot.file);
  Issues issues{snapshot.file, {}};
  const json* stations = stations_array(root, issues);
  // the snapshot time
  if (root.is_object()) {
    const auto updated = root.find("last_updated");
    if (updated == root.end()) {
      issues.add("last_updated", "missing 'last_updated' (Unix s or RFC 3339); snapshots are ordered by it");
    } else if (!read_time(*updated, snapshot.time_s)) {
      issues.add("last_updated", "'last_updated' must be an integer Unix time or an RFC 3339 string (got " +
                                     updated->dump() + ")");
    }
  }
  if (stations == nullptr) issues.throw_if_any();
  // one record per station
  for (std::size_t i = 0; i < stations->size(); ++i) {
    const json& station = (*stations)[i];
    const std::string key = "data.stations[" + std::to_string(i) + "]";
    if (!station.is_object()) {
      issues.add(key, "each station must be a JSON object");
      continue;
    }
    StatusRecord record;
    const auto id = station.find("station_id");
    if (id == station.end() || !read_id(*id, record.station_id)) {
      issues.add(key + ".station_id", "missing or empty 'station_id' (a string)");
      continue;
    }
    // bikes: num_bikes_available (1.1/2.x) or num_vehicles_available (3.0)
    const char* bikes_key = station.contains("num_bikes_available") ? "num_bikes_available" : "num_vehicles_available";
    if (!read_count(station, bikes_key, record.bikes) || std::isnan(record.bikes)) {
      issues.add(key + ".num_bikes_available",
                 "station '" + record.station_id + "' needs 'num_bikes_available' (or 3.0 'num_vehicles_available'), a number >= 0");
    }
    for (const auto& [field, target] :
         {std::pair<const char*, double*>{"num_docks_available", &record.docks},
          {"num_bikes_disabled", &record.bikes_disabled},
          {"num_docks_disabled", &record.docks_disabled},
          {"num_ebikes_available", &record.ebikes}}) {
      if (!read_count(station, field, *target)) {
        issues.add(key + "." + field, "station '" + record.station_id + "': '" + field + "' must be a number >= 0");
      }
    }
    if (std::isnan(record.bikes_disabled) && station.contains("num_vehicles_disabled")) {
      if (!read_count(station, "num_vehicles_disabled", record.bikes_disabled)) {
        issues.add(key + ".num_vehicles_disabled", "must be a number >= 0");
      }
    }
    // flags, 0/1 or true/false
    for (const auto& [field, target] :
         {std::pair<const char*, std::int8_t*>{"is_installed", &record.is_installed},
          {"is_renting", &record.is_renting},
          {"is_returning", &record.is_returning}}) {
      const auto it = station.find(field);
      if (it == station.end()) continue;
      *target = read_flag(*it);
      if (*target < 0) {
        issues.add(key + "." + field, "station '" + record.station_id + "': '" + field +
                                          "' must be true/false or 1/0 (got " + it->dump() + ")");
      }
    }
    // last report of the station
    if (const auto reported = station.find("last_reported"); reported != station.end() && !reported->is_null()) {
      std::int64_t reported_s = 0;
      if (read_time(*reported, reported_s)) {
        record.last_reported_s = static_cast<double>(reported_s);
      } else {
        issues.add(key + ".last_reported", "must be a Unix time or an RFC 3339 string (got " + reported->dump() + ")");
      }
    }
    // counts by vehicle type (2.x/3.0)
    if (const auto types = station.find("vehicle_types_available"); types != station.end()) {
      if (!types->is_array()) {
        issues.add(key + ".vehicle_types_available", "must be an array of {vehicle_type_id, count}");
      } else {
        record.has_vehicle_types = true;
        for (const json& entry : *types) {
          if (!entry.is_object() || !entry.contains("vehicle_type_id") || !entry["vehicle_type_id"].is_string() ||
              !entry.contains("count") || !entry["count"].is_number()) {
            issues.add(key + ".vehicle_types_available", "each entry needs a string 'vehicle_type_id' and a number 'count'");
            continue;
          }
          record.vehicle_counts.emplace_back(entry["vehicle_type_id"].get<std::string>(), entry["count"].get<double>());
        }
        // e-bikes from the caller's list of e-bike types, unless num_ebikes_available said it
        if (std::isnan(record.ebikes) && !options.ebike_type_ids.empty()) {
          record.ebikes = 0.0;
          for (const auto& [type_id, count] : record.vehicle_counts) {
            if (std::find(options.ebike_type_ids.begin(), options.ebike_type_ids.end(), type_id) !=
                options.ebike_type_ids.end()) {
              record.ebikes += count;
            }
          }
        }
      }
    }
    snapshot.records.push_back(std::move(record));
  }
  issues.throw_if_any();
  return snapshot;
}

/// Returns the ids of `ids` for which `keep` holds, sorted.
template <typename Predicate>
std::vector<std::string> sorted_ids(const std::vector<std::string>& ids, Predicate keep) {
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (keep(id)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

StationTable read_station_information(const std::filesystem::path& path, const StationInformationOptions& options) {
  StationTable table;
  table.source_file = path.string();
  const json root = parse_json(read_text(path, "GBFS station_information file"), table.source_file);
  Issues issues{table.source_file, {}};
  const json* stations = stations_array(root, issues);
  if (stations == nullptr) issues.throw_if_any();
  // feed header: version (absent in 1.0) and last_updated
  if (const auto version = root.find("version"); version != root.end() && version->is_string()) {
    table.version = version->get<std::string>();
  }
  if (const auto updated = root.find("last_updated"); updated != root.end() && !read_time(*updated, table.last_updated_s)) {
    issues.add("last_updated", "'last_updated' must be a Unix time or an RFC 3339 string (got " + updated->dump() + ")");
  }
  // one row per station
  for (std::size_t i = 0; i < stations->size(); ++i) {
    const json& station = (*stations)[i];
    const std::string key = "data.stations[" + std::to_string(i) + "]";
    if (!station.is_object()) {
      issues.add(key, "each station must be a JSON object");
      continue;
    }
    std::string id;
    if (const auto it = station.find("station_id"); it == station.end() || !read_id(*it, id)) {
      issues.add(key + ".station_id", "missing or empty 'station_id' (a string)");
      continue;
    }
    std::string name;
    if (const auto it = station.find("name"); it == station.end() || !read_name(*it, options.preferred_language, name)) {
      issues.add(key + ".name", "station '" + id + "' needs 'name': a string, or (GBFS 3.0) an array of {text, language}");
    }
    double lat_deg = kNan;
    double lon_deg = kNan;
    for (const auto& [field, target, limit] : {std::tuple<const char*, double*, double>{"lat", &lat_deg, 90.0},
                                               {"lon", &lon_deg, 180.0}}) {
      const auto it = station.find(field);
      if (it == station.end() || !it->is_number() || std::abs(it->get<double>()) > limit) {
        issues.add(key + "." + field, "station '" + id + "' needs '" + field + "', WGS84 degrees within ±" +
                                          std::to_string(static_cast<int>(limit)) +
                                          (it == station.end() ? " (missing)" : " (got " + it->dump() + ")"));
        continue;
      }
      *target = it->get<double>();
    }
    std::int32_t capacity = -1;
    if (const auto it = station.find("capacity"); it != station.end() && !it->is_null()) {
      if (!it->is_number() || it->get<double>() < 0.0) {
        issues.add(key + ".capacity", "station '" + id + "': 'capacity' must be a number >= 0 (got " + it->dump() + ")");
      } else {
        capacity = static_cast<std::int32_t>(std::lround(it->get<double>()));
      }
    }
    if (table.index_of.count(id) != 0) {
      issues.add(key + ".station_id", "duplicate station_id '" + id + "'; ids must be unique");
      continue;
    }
    std::string address;
    if (const auto it = station.find("address"); it != station.end() && it->is_string()) address = it->get<std::string>();
    // append the row
    table.index_of.emplace(id, static_cast<std::int32_t>(table.station_id.size()));
    table.station_id.push_back(std::move(id));
    table.name.push_back(std::move(name));
    table.address.push_back(std::move(address));
    table.city.emplace_back();
    table.lat_deg.push_back(lat_deg);
    table.lon_deg.push_back(lon_deg);
    table.capacity.push_back(capacity);
    if (capacity < 0) ++table.n_missing_capacity;
  }
  issues.throw_if_any();
  return table;
}

StatusSeries read_station_status_files(std::vector<std::filesystem::path> files, const StatusReadOptions& options) {
  // parse every snapshot, then order by last_updated (file name breaks ties)
  std::vector<Snapshot> snapshots;
  snapshots.reserve(files.size());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) snapshots.push_back(read_snapshot(path, options));
  std::stable_sort(snapshots.begin(), snapshots.end(),
                   [](const Snapshot& a, const Snapshot& b) { return a.time_s < b.time_s; });
  StatusSeries series;
  // drop repeated times (a feed polled twice before it changed), counted
  std::vector<Snapshot> unique;
  for (auto& snapshot : snapshots) {
    if (!unique.empty() && unique.back().time_s == snapshot.time_s) {
      ++series.report.n_duplicate_times;
      continue;
    }
    unique.push_back(std::move(snapshot));
  }
  // union of station ids and vehicle types, in first-seen order
  for (const Snapshot& snapshot : unique) {
    for (const StatusRecord& record : snapshot.records) {
      if (series.index_of.emplace(record.station_id, static_cast<std::int32_t>(series.station_id.size())).second) {
        series.station_id.push_back(record.station_id);
      }
      series.has_vehicle_types = series.has_vehicle_types || record.has_vehicle_types;
      series.has_ebikes = series.has_ebikes || !std::isnan(record.ebikes);
      for (const auto& [type_id, count] : record.vehicle_counts) {
        if (std::find(series.vehicle_type_id.begin(), series.vehicle_type_id.end(), type_id) ==
            series.vehicle_type_id.end()) {
          series.vehicle_type_id.push_back(type_id);
        }
      }
    }
  }
  // allocate the time x station arrays, missing by default
  const std::size_t n_times = unique.size();
  const std::size_t n_stations = series.station_id.size();
  const std::size_t n_types = series.vehicle_type_id.size();
  const std::size_t n_cells = n_times * n_stations;
  for (auto* column : {&series.bikes, &series.docks, &series.bikes_disabled, &series.docks_disabled,
                       &series.ebikes, &series.last_reported_s}) {
    column->assign(n_cells, kNan);
  }
  for (auto* column : {&series.is_installed, &series.is_renting, &series.is_returning}) column->assign(n_cells, -1);
  series.vehicles_by_type.assign(n_cells * n_types, kNan);
  series.station_idx.assign(n_stations, -1);
  // fill the cells
  std::vector<char> seen(n_cells, 0);
  for (std::size_t t = 0; t < n_times; ++t) {
    series.time_s.push_back(unique[t].time_s);
    series.file.push_back(unique[t].file);
    for (const StatusRecord& record : unique[t].records) {
      const std::size_t c = series.cell(t, static_cast<std::size_t>(series.index_of.at(record.station_id)));
      seen[c] = 1;
      series.bikes[c] = record.bikes;
      series.docks[c] = record.docks;
      series.bikes_disabled[c] = record.bikes_disabled;
      series.docks_disabled[c] = record.docks_disabled;
      series.ebikes[c] = record.ebikes;
      series.last_reported_s[c] = record.last_reported_s;
      series.is_installed[c] = record.is_installed;
      series.is_renting[c] = record.is_renting;
      series.is_returning[c] = record.is_returning;
      if (record.has_vehicle_types) {
        for (std::size_t k = 0; k < n_types; ++k) series.vehicles_by_type[c * n_types + k] = 0.0;
        for (const auto& [type_id, count] : record.vehicle_counts) {
          const auto k = static_cast<std::size_t>(
              std::find(series.vehicle_type_id.begin(), series.vehicle_type_id.end(), type_id) -
              series.vehicle_type_id.begin());
          series.vehicles_by_type[c * n_types + k] += count;
        }
      }
    }
  }
  // report
  series.report.n_snapshots = static_cast<std::int32_t>(n_times);
  series.report.n_stations = static_cast<std::int32_t>(n_stations);
  series.report.n_missing_cells = std::count(seen.begin(), seen.end(), 0);
  for (std::size_t t = 0; t < n_times; ++t) {
    const auto n_here = static_cast<std::int32_t>(unique[t].records.size());
    series.report.min_stations_per_snapshot =
        t == 0 ? n_here : std::min(series.report.min_stations_per_snapshot, n_here);
    series.report.max_stations_per_snapshot = std::max(series.report.max_stations_per_snapshot, n_here);
  }
  return series;
}

StatusSeries read_station_status_folder(const std::filesystem::path& folder, const StatusReadOptions& options) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    throw InputError(InputIssue{folder.string(), 0, 0, "", "not a folder; give the folder of station_status*.json snapshots"});
  }
  // every station_status*.json of the folder
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string file_name = entry.path().filename().string();
    if (entry.is_regular_file() && file_name.rfind("station_status", 0) == 0 && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) {
    throw InputError(InputIssue{folder.string(), 0, 0, "", "no station_status*.json file in this folder"});
  }
  return read_station_status_files(std::move(files), options);
}

StatusSeries read_station_status_folder(const std::filesystem::path& folder, const StationTable& stations,
                                        const StatusReadOptions& options) {
  StatusSeries series = read_station_status_folder(folder, options);
  join_stations(series, stations);
  return series;
}

void join_stations(StatusSeries& series, const StationTable& stations) {
  // status index -> station index, and the ids on either side only
  series.station_idx.assign(series.station_id.size(), -1);
  for (std::size_t i = 0; i < series.station_id.size(); ++i) series.station_idx[i] = stations.find(series.station_id[i]);
  series.report.unknown_ids =
      sorted_ids(series.station_id, [&](const std::string& id) { return stations.find(id) < 0; });
  series.report.unreported_ids =
      sorted_ids(stations.station_id, [&](const std::string& id) { return series.index_of.count(id) == 0; });
  series.report.n_unknown_ids = static_cast<std::int32_t>(series.report.unknown_ids.size());
  series.report.n_unreported_stations = static_cast<std::int32_t>(series.report.unreported_ids.size());
  series.report.joined = true;
}

}  // namespace citytwin::bikeshare
