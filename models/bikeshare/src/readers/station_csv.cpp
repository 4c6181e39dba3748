#include <citytwin/bikeshare/readers/station_csv.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>

// Station list CSV reader (HSL / City Bike Finland layout and any operator's list through a
// column mapping); see docs/models/bikeshare.md#stations.
namespace citytwin::bikeshare {
namespace {

/// One CSV field and the 1-based column (byte) where it starts.
struct Field {
  std::string text;
  int column = 1;
};

/// Splits one CSV record; "quoted" fields may hold the delimiter, "" is a literal quote.
/// A quoted field may not span lines (station lists never need that); `ok` is false when a
/// quote is left open.
std::vector<Field> split_record(std::string_view line, char delimiter, bool& ok) {
  std::vector<Field> fields;
  Field field;
  bool quoted = false;
  ok = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.text.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.text.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      fields.push_back(std::move(field));
      field = Field{};
      field.column = static_cast<int>(i) + 2;
    } else {
      field.text.push_back(c);
    }
  }
  ok = !quoted;
  fields.push_back(std::move(field));
  return fields;
}

/// Trims spaces and tabs at both ends.
std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

/// Parses a whole field as a finite double.
bool parse_double(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return result.ec == std::errc() && result.ptr == end && std::isfinite(value);
}

}  // namespace

StationCsvColumns hsl_station_columns() {
  StationCsvColumns columns;
  columns.id = "ID";
  columns.name = "Name";
  columns.lat = "y";
  columns.lon = "x";
  columns.capacity = "Kapasiteet";
  columns.address = "Osoite";
  columns.city = "Kaupunki";
  columns.blank_city = "Helsinki";
  return columns;
}

StationTable read_station_csv(const std::filesystem::path& path, const StationCsvColumns& columns) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputIssue{file, 0, 0, "", "cannot open the station CSV file; check the path"});
  std::vector<InputIssue> issues;
  // header, without a UTF-8 byte-order mark
  std::string line;
  if (!std::getline(in, line)) throw InputError(InputIssue{file, 1, 1, "", "the file is empty; expected a header row"});
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  bool ok = true;
  const std::vector<Field> header = split_record(line, columns.delimiter, ok);
  std::string header_list;
  for (const Field& field : header) header_list += (header_list.empty() ? "" : ", ") + trim(field.text);
  // column positions of the mapped fields; -1 when optional and not configured
  const auto find_column = [&](const std::string& name, const char* role, bool required) -> int {
    if (name.empty()) {
      if (required) issues.push_back(InputIssue{file, 1, 0, role, std::string("no column configured for '") + role + "'"});
      return -1;
    }
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (trim(header[i].text) == name) return static_cast<int>(i);
    }
    issues.push_back(InputIssue{file, 1, 0, name,
                                std::string("no column '") + name + "' (for the station " + role +
                                    ") in the header; columns are: " + header_list});
    return -1;
  };
  const int id_col = find_column(columns.id, "id", true);
  const int name_col = find_column(columns.name, "name", true);
  const int lat_col = find_column(columns.lat, "lat", true);
  const int lon_col = find_column(columns.lon, "lon", true);
  const int capacity_col = columns.capacity.empty() ? -1 : find_column(columns.capacity, "capacity", false);
  const int address_col = columns.address.empty() ? -1 : find_column(columns.address, "address", false);
  const int city_col = columns.city.empty() ? -1 : find_column(columns.city, "city", false);
  if (!issues.empty()) throw InputError(std::move(issues));

  StationTable table;
  table.source_file = file;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const std::vector<Field> fields = split_record(line, columns.delimiter, ok);
    if (!ok) {
      issues.push_back(InputIssue{file, line_no, 0, "", "a quoted field is not closed; close the quote"});
      continue;
    }
    if (fields.size() != header.size()) {
      issues.push_back(InputIssue{file, line_no, 0, "",
                                  "row has " + std::to_string(fields.size()) + " fields, the header " +
                                      std::to_string(header.size()) + "; quote fields that contain the delimiter"});
      continue;
    }
    const auto text = [&](int col) { return col < 0 ? std::string() : trim(fields[static_cast<std::size_t>(col)].text); };
    const auto number = [&](int col, const std::string& key, double low, double high, double& value) {
      const std::string cell = text(col);
      if (!parse_double(cell, value) || value < low || value > high) {
        issues.push_back(InputIssue{file, line_no, fields[static_cast<std::size_t>(col)].column, key,
                                    "'" + key + "' must be a number in [" + std::to_string(low) + ", " +
                                        std::to_string(high) + "] (got '" + cell + "')"});
        return false;
      }
      return true;
    };
    // required fields
    std::string id = text(id_col);
    if (id.empty()) {
      issues.push_back(InputIssue{file, line_no, fields[static_cast<std::size_t>(id_col)].column, columns.id,
                                  "empty station id; every row needs one"});
      continue;
    }
    double lat_deg = 0.0;
    double lon_deg = 0.0;
    const bool lat_ok = number(lat_col, columns.lat, -90.0, 90.0, lat_deg);
    const bool lon_ok = number(lon_col, columns.lon, -180.0, 180.0, lon_deg);
    // optional capacity: blank -> -1, counted
    std::int32_t capacity = -1;
    bool capacity_ok = true;
    if (capacity_col >= 0 && !text(capacity_col).empty()) {
      double value = 0.0;
      capacity_ok = number(capacity_col, columns.capacity, 0.0, 1.0e6, value);
      capacity = static_cast<std::int32_t>(std::lround(value));
    }
    if (table.index_of.count(id) != 0) {
      issues.push_back(InputIssue{file, line_no, fields[static_cast<std::size_t>(id_col)].column, columns.id,
                                  "duplicate station id '" + id + "'; ids must be unique"});
      continue;
    }
    if (!lat_ok || !lon_ok || !capacity_ok) continue;
    // append the row
    std::string city = text(city_col);
    if (city.empty() && city_col >= 0) city = columns.blank_city;
    table.index_of.emplace(id, static_cast<std::int32_t>(table.station_id.size()));
    table.station_id.push_back(std::move(id));
    table.name.push_back(text(name_col));
    table.address.push_back(text(address_col));
    table.city.push_back(std::move(city));
    table.lat_deg.push_back(lat_deg);
    table.lon_deg.push_back(lon_deg);
    table.capacity.push_back(capacity);
    if (capacity < 0) ++table.n_missing_capacity;
  }
  if (!issues.empty()) throw InputError(std::move(issues));
  return table;
}

}  // namespace citytwin::bikeshare
