#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/energy/readers/network_csv.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::energy {

namespace {

// marks an integer cell that could not be read (its issue is already recorded)
constexpr std::int64_t kMissingId = std::numeric_limits<std::int64_t>::min();

// one CSV field with the 1-based column where it starts
struct CsvField {
  std::string text;
  int column = 0;
};

// one data row with its 1-based line
struct CsvRow {
  int line = 0;
  std::vector<CsvField> fields;
};

// a parsed CSV file: header names and data rows
struct CsvFile {
  std::string path;
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF, a UTF-8 BOM, blank lines skipped
CsvFile parse_csv(const std::string& text, const std::string& path,
                  std::vector<InputIssue>& issues) {
  CsvFile file;
  file.path = path;
  std::size_t pos = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  int line = 1;
  std::size_t line_start = pos;
  bool first_row = true;
  while (pos < text.size()) {
    CsvRow row;
    row.line = line;
    bool end_of_row = false;
    while (!end_of_row) {
      CsvField field;
      field.column = static_cast<int>(pos - line_start) + 1;
      if (pos < text.size() && text[pos] == '"') {
        // quoted field, may span lines
        const int open_line = line;
        const int open_column = field.column;
        ++pos;
        bool closed = false;
        while (pos < text.size()) {
          if (text[pos] == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field.text += '"';
              pos += 2;
              continue;
            }
            ++pos;
            closed = true;
            break;
          }
          if (text[pos] == '\n') {
            ++line;
            line_start = pos + 1;
          }
          field.text += text[pos++];
        }
        if (!closed) {
          issues.push_back(
              {path, open_line, open_column, "", "unterminated quoted field; close it with '\"'"});
          return file;
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
          field.text += text[pos++];
        }
      }
      // after a field: a comma, the end of the line or the end of the text
      if (pos < text.size() && text[pos] == '\r') ++pos;
      if (pos >= text.size() || text[pos] == '\n') {
        end_of_row = true;
        if (pos < text.size()) {
          ++pos;
          ++line;
          line_start = pos;
        }
      } else if (text[pos] == ',') {
        ++pos;
      } else {
        issues.push_back({path, line, static_cast<int>(pos - line_start) + 1, "",
                          "unexpected character after a quoted field; put a comma after the "
                          "closing quote"});
        return file;
      }
      row.fields.push_back(std::move(field));
    }
    const bool blank = row.fields.size() == 1 && trim(row.fields[0].text).empty();
    if (blank) continue;
    if (first_row) {
      for (auto& f : row.fields) file.header.emplace_back(trim(f.text));
      first_row = false;
    } else {
      file.rows.push_back(std::move(row));
    }
  }
  if (first_row) issues.push_back({path, 1, 0, "", "empty file; write a header line first"});
  return file;
}

// column-wise access to one CSV table with positioned error reporting
class Table {
 public:
  Table(CsvFile file, std::string name, bool listed, std::vector<InputIssue>& issues)
      : file_(std::move(file)), name_(std::move(name)), listed_(listed), issues_(&issues) {
    for (std::size_t r = 0; r < file_.rows.size(); ++r) {
      if (file_.rows[r].fields.size() != file_.header.size()) {
        add(r, 0, "",
            "row has " + std::to_string(file_.rows[r].fields.size()) +
                " fields but the header has " + std::to_string(file_.header.size()) +
                "; add or remove commas");
      }
    }
  }

  [[nodiscard]] std::size_t size() const { return file_.rows.size(); }
  [[nodiscard]] const std::string& path() const { return file_.path; }
  [[nodiscard]] bool has(std::string_view column) const { return index(column) >= 0; }

  // records an issue at a cell (column index −1: the row start)
  void add(std::size_t row, int column_idx, const std::string& key, const std::string& message) {
    const CsvRow& r = file_.rows[row];
    const int col = column_idx >= 0 && static_cast<std::size_t>(column_idx) < r.fields.size()
                        ? r.fields[static_cast<std::size_t>(column_idx)].column
                        : 1;
    issues_->push_back({file_.path, r.line, col, key, message});
  }

  // records an issue at the cell of a named column
  void add(std::size_t row, std::string_view column, const std::string& message) {
    add(row, index(column), std::string(column),
        "column '" + std::string(column) + "': " + message);
  }

  // the index column: the first column, integer ids, unique
  std::vector<std::int64_t> ids() {
    std::vector<std::int64_t> out(size(), -1);
    std::map<std::int64_t, std::size_t> seen;
    for (std::size_t r = 0; r < size(); ++r) {
      const std::optional<std::int64_t> id = integer_at(r, 0, header_at(0));
      if (!id) continue;
      out[r] = *id;
      if (!seen.emplace(*id, r).second) {
        add(r, 0, header_at(0),
            "duplicate " + name_ + " index " + std::to_string(*id) + " (first on line " +
                std::to_string(file_.rows[seen[*id]].line) + "); give every row its own index");
      }
    }
    return out;
  }

  // a numeric column; an empty cell (or NaN) takes `fallback`, an absent column too
  std::vector<double> numbers(std::string_view column, std::optional<double> fallback) {
    std::vector<double> out(size(), fallback.value_or(0.0));
    const int c = require(column, fallback.has_value());
    if (c < 0) return out;
    for (std::size_t r = 0; r < size(); ++r) {
      const std::string_view text = cell(r, c);
      if (is_empty(text)) {
        if (!fallback) add(r, column, "empty value; this column has no default, write a number");
        continue;
      }
      double value = 0.0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        add(r, column, "'" + std::string(text) + "' is not a finite number");
        continue;
      }
      out[r] = value;
    }
    return out;
  }

  // an integer column (an integral float such as "3.0" is accepted)
  std::vector<std::int64_t> integers(std::string_view column,
                                     std::optional<std::int64_t> fallback) {
    std::vector<std::int64_t> out(size(), fallback.value_or(kMissingId));
    const int c = require(column, fallback.has_value());
    if (c < 0) return out;
    for (std::size_t r = 0; r < size(); ++r) {
      if (is_empty(cell(r, c))) {
        if (!fallback) add(r, column, "empty value; this column has no default, write an integer");
        continue;
      }
      if (const auto value = integer_at(r, c, std::string(column))) out[r] = *value;
    }
    return out;
  }

  // a boolean column: True/False, true/false, 1/0
  std::vector<std::uint8_t> booleans(std::string_view column, bool fallback) {
    std::vector<std::uint8_t> out(size(), fallback ? 1 : 0);
    const int c = require(column, true);
    if (c < 0) return out;
    for (std::size_t r = 0; r < size(); ++r) {
      const std::string text = lower(cell(r, c));
      if (is_empty(text)) continue;
      if (text == "true" || text == "1" || text == "1.0") {
        out[r] = 1;
      } else if (text == "false" || text == "0" || text == "0.0") {
        out[r] = 0;
      } else {
        add(r, column, "'" + std::string(cell(r, c)) + "' is not a boolean; write True or False");
      }
    }
    return out;
  }

  // a text column, empty when absent
  std::vector<std::string> texts(std::string_view column) {
    std::vector<std::string> out(size());
    const int c = index(column);
    if (c < 0) return out;
    for (std::size_t r = 0; r < size(); ++r) out[r] = std::string(cell(r, c));
    return out;
  }

  // the column index, recording a missing-column issue when it is required
  int require(std::string_view column, bool optional) {
    const int c = index(column);
    if (c < 0 && !optional && listed_) {
      issues_->push_back({file_.path, 1, 0, std::string(column),
                          "missing column '" + std::string(column) +
                              "' (required, no default); add it to the header of " + name_ +
                              ".csv"});
    }
    return c;
  }

 private:
  [[nodiscard]] int index(std::string_view column) const {
    const auto it = std::find(file_.header.begin(), file_.header.end(), column);
    return it == file_.header.end() ? -1 : static_cast<int>(it - file_.header.begin());
  }

  [[nodiscard]] std::string header_at(std::size_t c) const {
    return c < file_.header.size() ? file_.header[c] : std::string("index");
  }

  [[nodiscard]] std::string_view cell(std::size_t row, int column_idx) const {
    const auto& fields = file_.rows[row].fields;
    const auto c = static_cast<std::size_t>(column_idx);
    return c < fields.size() ? trim(fields[c].text) : std::string_view();
  }

  static bool is_empty(std::string_view text) {
    return text.empty() || text == "nan" || text == "NaN" || text == "NAN";
  }

  std::optional<std::int64_t> integer_at(std::size_t r, int c, const std::string& column) {
    const std::string_view text = cell(r, c);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
    double real = 0.0;
    auto [end_real, ec_real] = std::from_chars(text.data(), text.data() + text.size(), real);
    if (ec_real == std::errc() && end_real == text.data() + text.size() && std::isfinite(real) &&
        real == std::floor(real) && std::abs(real) < 9e15) {
      return static_cast<std::int64_t>(real);
    }
    add(r, c, column, "column '" + column + "': '" + std::string(text) + "' is not an integer");
    return std::nullopt;
  }

  CsvFile file_;
  std::string name_;
  bool listed_;  // false: the table is not in network.json and has no rows
  std::vector<InputIssue>* issues_;
};

// maps the bus ids of a column to dense indices, reporting unknown ones
std::vector<std::int32_t> bus_refs(Table& table, std::string_view column,
                                   const std::map<std::int64_t, std::int32_t>& bus_idx_of) {
  const std::vector<std::int64_t> ids = table.integers(column, std::nullopt);
  std::vector<std::int32_t> out(ids.size(), 0);
  if (!table.has(column)) return out;
  for (std::size_t r = 0; r < ids.size(); ++r) {
    const auto it = bus_idx_of.find(ids[r]);
    if (it != bus_idx_of.end()) {
      out[r] = it->second;
    } else if (ids[r] != kMissingId) {
      table.add(r, column,
                "bus " + std::to_string(ids[r]) +
                    " is not in buses.csv; use a value of the first column of buses.csv");
    }
  }
  return out;
}

// parses a phase column: abc (default), a, b or c
std::vector<Phase> phases(Table& table) {
  const std::vector<std::string> text = table.texts("phase");
  std::vector<Phase> out(table.size(), Phase::kAbc);
  for (std::size_t r = 0; r < text.size(); ++r) {
    const std::string p = lower(trim(text[r]));
    if (p.empty() || p == "abc") continue;
    if (p == "a")
      out[r] = Phase::kA;
    else if (p == "b")
      out[r] = Phase::kB;
    else if (p == "c")
      out[r] = Phase::kC;
    else
      table.add(r, "phase", "'" + text[r] + "' is not a phase; write abc, a, b or c");
  }
  return out;
}

// checks lo <= value (<= hi) for every row
void check_range(Table& table, std::string_view column, const std::vector<double>& values,
                 double lo, bool lo_inclusive, double hi, const char* expectation) {
  if (!table.has(column)) return;
  for (std::size_t r = 0; r < values.size(); ++r) {
    const double v = values[r];
    const bool ok = (lo_inclusive ? v >= lo : v > lo) && v <= hi;
    if (!ok) {
      std::ostringstream msg;
      msg << "value " << v << " is out of range; it must be " << expectation;
      table.add(r, column, msg.str());
    }
  }
}

std::vector<std::int32_t> counts(Table& table, std::string_view column) {
  const std::vector<std::int64_t> raw = table.integers(column, 1);
  std::vector<std::int32_t> out(raw.size(), 1);
  for (std::size_t r = 0; r < raw.size(); ++r) {
    if (raw[r] < 1 || raw[r] > 1000000) {
      if (table.has(column)) table.add(r, column, "must be an integer >= 1");
    } else {
      out[r] = static_cast<std::int32_t>(raw[r]);
    }
  }
  return out;
}

// 1-based line and column of a byte offset
std::pair<int, int> position_of(const std::string& text, std::size_t offset) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < std::min(offset, text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// the position of the first occurrence of "key" in a JSON text (0, 0 if absent)
std::pair<int, int> key_position(const std::string& text, const std::string& key) {
  const std::size_t at = text.find('"' + key + '"');
  return at == std::string::npos ? std::pair<int, int>{0, 0} : position_of(text, at);
}

constexpr std::array<std::string_view, 8> kTableFiles = {
    "buses.csv", "lines.csv", "trafos.csv",   "switches.csv",
    "loads.csv", "sgens.csv", "storages.csv", "ext_grid.csv"};

// network.json: system base, frequency, label and the list of tables
struct Manifest {
  double sn_mva = 1.0;
  double f_hz = 50.0;
  std::string label;
  std::vector<std::string> files;
};

Manifest read_manifest(const std::filesystem::path& folder, std::vector<InputIssue>& issues) {
  Manifest m;
  const std::filesystem::path path = folder / "network.json";
  const std::string file = path.string();
  if (!std::filesystem::exists(path)) {
    issues.push_back({file, 0, 0, "", "missing; write network.json with sn_mva, f_hz and files"});
    return m;
  }
  const std::string text = read_text(path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = position_of(text, e.byte > 0 ? e.byte - 1 : 0);
    issues.push_back({file, line, column, "", std::string("invalid JSON: ") + e.what()});
    return m;
  }
  if (!json.is_object()) {
    issues.push_back({file, 1, 1, "", "the top level must be an object"});
    return m;
  }

  // numbers with documented defaults
  const auto number = [&](const char* key, double& out, const char* expectation) {
    if (!json.contains(key)) return;
    const auto [line, column] = key_position(text, key);
    if (!json[key].is_number() || !(json[key].get<double>() > 0.0)) {
      issues.push_back(
          {file, line, column, key, std::string("'") + key + "' must be a number " + expectation});
      return;
    }
    out = json[key].get<double>();
  };
  number("sn_mva", m.sn_mva, "> 0 (system base power in MVA)");
  number("f_hz", m.f_hz, "> 0 (system frequency in Hz)");
  if (json.contains("label") && json["label"].is_string())
    m.label = json["label"].get<std::string>();

  // the table list; without one, every known table file present is read
  if (!json.contains("files")) {
    for (const std::string_view name : kTableFiles) {
      if (std::filesystem::exists(folder / name)) m.files.emplace_back(name);
    }
    return m;
  }
  const auto [line, column] = key_position(text, "files");
  if (!json["files"].is_array()) {
    issues.push_back({file, line, column, "files", "'files' must be a list of CSV file names"});
    return m;
  }
  for (std::size_t i = 0; i < json["files"].size(); ++i) {
    const auto& entry = json["files"][i];
    const std::string key = "files[" + std::to_string(i) + "]";
    if (!entry.is_string()) {
      issues.push_back({file, line, column, key, key + " must be a file name"});
      continue;
    }
    const std::string name = entry.get<std::string>();
    if (std::find(kTableFiles.begin(), kTableFiles.end(), name) == kTableFiles.end()) {
      issues.push_back({file, line, column, key,
                        key + " = '" + name +
                            "' is not a table citytwin models; remove it or use one of buses.csv, "
                            "lines.csv, trafos.csv, switches.csv, loads.csv, sgens.csv, "
                            "storages.csv, ext_grid.csv"});
      continue;
    }
    if (!std::filesystem::exists(folder / name)) {
      issues.push_back({file, line, column, key,
                        key + " = '" + name + "' is listed but the file does not exist"});
      continue;
    }
    m.files.push_back(name);
  }
  return m;
}

// reads one listed table, or an empty table when it is not listed
Table open_table(const std::filesystem::path& folder, const Manifest& m, std::string_view file_name,
                 std::vector<InputIssue>& issues) {
  const std::string name(file_name.substr(0, file_name.size() - 4));
  const bool listed = std::find(m.files.begin(), m.files.end(), file_name) != m.files.end();
  const std::filesystem::path path = folder / file_name;
  if (!listed) return Table(CsvFile{path.string(), {}, {}}, name, false, issues);
  return Table(parse_csv(read_text(path), path.string(), issues), name, true, issues);
}

}  // namespace

NetworkTables read_network_csv(const std::filesystem::path& folder) {
  std::vector<InputIssue> issues;
  NetworkTables t;
  const Manifest m = read_manifest(folder, issues);
  t.sn_mva = m.sn_mva;
  t.f_hz = m.f_hz;
  t.label = m.label;
  for (const std::string_view required : {"buses.csv", "ext_grid.csv"}) {
    if (std::find(m.files.begin(), m.files.end(), required) == m.files.end() && issues.empty()) {
      issues.push_back({(folder / "network.json").string(), 0, 0, "files",
                        "'" + std::string(required) + "' is required; add the table and list it"});
    }
  }
  if (!issues.empty()) throw InputError(std::move(issues));

  // buses
  Table buses = open_table(folder, m, "buses.csv", issues);
  t.buses.bus_id = buses.ids();
  t.buses.name = buses.texts("name");
  t.buses.vn_kv = buses.numbers("vn_kv", std::nullopt);
  t.buses.in_service = buses.booleans("in_service", true);
  check_range(buses, "vn_kv", t.buses.vn_kv, 0.0, false, 1e4, "> 0 kV");
  std::map<std::int64_t, std::int32_t> bus_idx_of;
  for (std::size_t i = 0; i < t.buses.size(); ++i) {
    bus_idx_of.emplace(t.buses.bus_id[i], static_cast<std::int32_t>(i));
  }
  std::map<std::int64_t, std::int32_t> line_idx_of;
  std::map<std::int64_t, std::int32_t> trafo_idx_of;

  // lines; b_us_per_km from c_nf_per_km when only the capacitance is given
  Table lines = open_table(folder, m, "lines.csv", issues);
  auto& l = t.lines;
  l.line_id = lines.ids();
  l.name = lines.texts("name");
  l.from_bus_idx = bus_refs(lines, "from_bus", bus_idx_of);
  l.to_bus_idx = bus_refs(lines, "to_bus", bus_idx_of);
  l.length_km = lines.numbers("length_km", std::nullopt);
  l.r_ohm_per_km = lines.numbers("r_ohm_per_km", std::nullopt);
  l.x_ohm_per_km = lines.numbers("x_ohm_per_km", std::nullopt);
  l.g_us_per_km = lines.numbers("g_us_per_km", 0.0);
  if (lines.has("b_us_per_km")) {
    l.b_us_per_km = lines.numbers("b_us_per_km", 0.0);
  } else {
    l.b_us_per_km = lines.numbers("c_nf_per_km", 0.0);
    for (double& b : l.b_us_per_km) b *= 2.0 * std::numbers::pi * t.f_hz * 1e-3;
  }
  l.max_i_ka = lines.numbers("max_i_ka", std::nullopt);
  l.n_parallel = counts(lines, "parallel");
  l.df_frac = lines.numbers("df", 1.0);
  l.in_service = lines.booleans("in_service", true);
  check_range(lines, "length_km", l.length_km, 0.0, false, 1e6, "> 0 km");
  check_range(lines, "r_ohm_per_km", l.r_ohm_per_km, 0.0, true, 1e9, ">= 0");
  check_range(lines, "max_i_ka", l.max_i_ka, 0.0, false, 1e12, "> 0 kA");
  check_range(lines, "df", l.df_frac, 0.0, false, 1.0, "in (0, 1]");
  for (std::size_t r = 0; r < lines.size(); ++r) {
    if (l.r_ohm_per_km[r] == 0.0 && l.x_ohm_per_km[r] == 0.0 && lines.has("x_ohm_per_km")) {
      lines.add(r, "x_ohm_per_km",
                "r and x are both 0; use a closed bus-bus switch in switches.csv to join buses");
    }
    line_idx_of.emplace(l.line_id[r], static_cast<std::int32_t>(r));
  }

  // two-winding transformers
  Table trafos = open_table(folder, m, "trafos.csv", issues);
  auto& tr = t.trafos;
  tr.trafo_id = trafos.ids();
  tr.name = trafos.texts("name");
  tr.hv_bus_idx = bus_refs(trafos, "hv_bus", bus_idx_of);
  tr.lv_bus_idx = bus_refs(trafos, "lv_bus", bus_idx_of);
  tr.sn_mva = trafos.numbers("sn_mva", std::nullopt);
  tr.vn_hv_kv = trafos.numbers("vn_hv_kv", std::nullopt);
  tr.vn_lv_kv = trafos.numbers("vn_lv_kv", std::nullopt);
  tr.vk_percent = trafos.numbers("vk_percent", std::nullopt);
  tr.vkr_percent = trafos.numbers("vkr_percent", std::nullopt);
  tr.pfe_kw = trafos.numbers("pfe_kw", 0.0);
  tr.i0_percent = trafos.numbers("i0_percent", 0.0);
  tr.shift_degree = trafos.numbers("shift_degree", 0.0);
  tr.tap_neutral = trafos.numbers("tap_neutral", 0.0);
  tr.tap_pos = trafos.numbers("tap_pos", 0.0);
  tr.tap_step_percent = trafos.numbers("tap_step_percent", 0.0);
  tr.tap_step_degree = trafos.numbers("tap_step_degree", 0.0);
  tr.n_parallel = counts(trafos, "parallel");
  tr.df_frac = trafos.numbers("df", 1.0);
  tr.in_service = trafos.booleans("in_service", true);
  const std::vector<std::string> tap_side = trafos.texts("tap_side");
  tr.tap_side.assign(trafos.size(), TapSide::kNone);
  for (std::size_t r = 0; r < trafos.size(); ++r) {
    const std::string side = lower(trim(tap_side[r]));
    if (side == "hv")
      tr.tap_side[r] = TapSide::kHv;
    else if (side == "lv")
      tr.tap_side[r] = TapSide::kLv;
    else if (!side.empty() && side != "nan")
      trafos.add(r, "tap_side", "'" + tap_side[r] + "' is not hv, lv or empty");
    if (tr.vkr_percent[r] > tr.vk_percent[r]) {
      trafos.add(r, "vkr_percent", "is larger than vk_percent; vkr is the real part of vk");
    }
    trafo_idx_of.emplace(tr.trafo_id[r], static_cast<std::int32_t>(r));
  }
  check_range(trafos, "sn_mva", tr.sn_mva, 0.0, false, 1e6, "> 0 MVA");
  check_range(trafos, "vn_hv_kv", tr.vn_hv_kv, 0.0, false, 1e4, "> 0 kV");
  check_range(trafos, "vn_lv_kv", tr.vn_lv_kv, 0.0, false, 1e4, "> 0 kV");
  check_range(trafos, "vk_percent", tr.vk_percent, 0.0, false, 100.0, "in (0, 100]");
  check_range(trafos, "vkr_percent", tr.vkr_percent, 0.0, true, 100.0, "in [0, vk_percent]");
  check_range(trafos, "pfe_kw", tr.pfe_kw, 0.0, true, 1e9, ">= 0 kW");
  check_range(trafos, "i0_percent", tr.i0_percent, 0.0, true, 100.0, "in [0, 100]");
  check_range(trafos, "df", tr.df_frac, 0.0, false, 1.0, "in (0, 1]");

  // switches: the far end is a bus, line or transformer index by `et`
  Table switches = open_table(folder, m, "switches.csv", issues);
  auto& sw = t.switches;
  sw.switch_id = switches.ids();
  sw.name = switches.texts("name");
  sw.bus_idx = bus_refs(switches, "bus", bus_idx_of);
  const std::vector<std::int64_t> element = switches.integers("element", std::nullopt);
  const std::vector<std::string> et = switches.texts("et");
  (void)switches.require("et", false);
  sw.closed = switches.booleans("closed", true);
  sw.z_ohm = switches.numbers("z_ohm", 0.0);
  check_range(switches, "z_ohm", sw.z_ohm, 0.0, true, 1e12, ">= 0 ohm");
  sw.element_idx.assign(switches.size(), 0);
  sw.element_type.assign(switches.size(), SwitchElement::kBus);
  for (std::size_t r = 0; r < switches.size() && switches.has("et") && switches.has("element");
       ++r) {
    const std::string kind = lower(trim(et[r]));
    const std::map<std::int64_t, std::int32_t>* targets = nullptr;
    if (kind == "b") {
      targets = &bus_idx_of;
    } else if (kind == "l") {
      targets = &line_idx_of;
      sw.element_type[r] = SwitchElement::kLine;
    } else if (kind == "t") {
      targets = &trafo_idx_of;
      sw.element_type[r] = SwitchElement::kTrafo;
    } else {
      switches.add(r, "et", "'" + et[r] + "' is not b (bus), l (line) or t (trafo)");
      continue;
    }
    const auto it = targets->find(element[r]);
    if (it == targets->end()) {
      switches.add(r, "element",
                   std::to_string(element[r]) + " is not an index of the " +
                       (kind == "b"   ? "buses"
                        : kind == "l" ? "lines"
                                      : "trafos") +
                       " table named by et");
      continue;
    }
    sw.element_idx[r] = it->second;
    const auto e = static_cast<std::size_t>(it->second);
    const bool at_end =
        kind == "b" ||
        (kind == "l" && (l.from_bus_idx[e] == sw.bus_idx[r] || l.to_bus_idx[e] == sw.bus_idx[r])) ||
        (kind == "t" && (tr.hv_bus_idx[e] == sw.bus_idx[r] || tr.lv_bus_idx[e] == sw.bus_idx[r]));
    if (!at_end)
      switches.add(r, "bus", "is not an end of the switched element; use one of its buses");
  }

  // loads with ZIP shares: per-quantity columns win over the shared ones
  Table loads = open_table(folder, m, "loads.csv", issues);
  auto& ld = t.loads;
  ld.load_id = loads.ids();
  ld.name = loads.texts("name");
  ld.bus_idx = bus_refs(loads, "bus", bus_idx_of);
  ld.p_mw = loads.numbers("p_mw", std::nullopt);
  ld.q_mvar = loads.numbers("q_mvar", 0.0);
  const std::vector<double> z_shared = loads.numbers("const_z_percent", 0.0);
  const std::vector<double> i_shared = loads.numbers("const_i_percent", 0.0);
  const auto share = [&](const char* column, const std::vector<double>& shared) {
    return loads.has(column) ? loads.numbers(column, 0.0) : shared;
  };
  ld.const_z_p_percent = share("const_z_p_percent", z_shared);
  ld.const_i_p_percent = share("const_i_p_percent", i_shared);
  ld.const_z_q_percent = share("const_z_q_percent", z_shared);
  ld.const_i_q_percent = share("const_i_q_percent", i_shared);
  ld.scaling = loads.numbers("scaling", 1.0);
  ld.phase = phases(loads);
  ld.in_service = loads.booleans("in_service", true);
  const auto check_share = [&](const char* column, const char* shared,
                               const std::vector<double>& v) {
    check_range(loads, loads.has(column) ? column : shared, v, 0.0, true, 100.0, "in [0, 100]");
  };
  check_share("const_z_p_percent", "const_z_percent", ld.const_z_p_percent);
  check_share("const_i_p_percent", "const_i_percent", ld.const_i_p_percent);
  check_share("const_z_q_percent", "const_z_percent", ld.const_z_q_percent);
  check_share("const_i_q_percent", "const_i_percent", ld.const_i_q_percent);
  check_range(loads, "scaling", ld.scaling, 0.0, true, 1e9, ">= 0");
  for (std::size_t r = 0; r < loads.size(); ++r) {
    if (ld.const_z_p_percent[r] + ld.const_i_p_percent[r] > 100.0 ||
        ld.const_z_q_percent[r] + ld.const_i_q_percent[r] > 100.0) {
      loads.add(r, "const_i_p_percent", "constant-Z plus constant-I shares exceed 100 %");
    }
  }

  // static generators
  Table sgens = open_table(folder, m, "sgens.csv", issues);
  auto& sg = t.sgens;
  sg.sgen_id = sgens.ids();
  sg.name = sgens.texts("name");
  sg.bus_idx = bus_refs(sgens, "bus", bus_idx_of);
  sg.p_mw = sgens.numbers("p_mw", std::nullopt);
  sg.q_mvar = sgens.numbers("q_mvar", 0.0);
  sg.scaling = sgens.numbers("scaling", 1.0);
  sg.phase = phases(sgens);
  sg.in_service = sgens.booleans("in_service", true);
  check_range(sgens, "scaling", sg.scaling, 0.0, true, 1e9, ">= 0");

  // storage units
  Table storages = open_table(folder, m, "storages.csv", issues);
  auto& st = t.storages;
  st.storage_id = storages.ids();
  st.name = storages.texts("name");
  st.bus_idx = bus_refs(storages, "bus", bus_idx_of);
  st.p_mw = storages.numbers("p_mw", std::nullopt);
  st.q_mvar = storages.numbers("q_mvar", 0.0);
  st.max_e_mwh = storages.numbers("max_e_mwh", 0.0);
  st.scaling = storages.numbers("scaling", 1.0);
  st.phase = phases(storages);
  st.in_service = storages.booleans("in_service", true);
  check_range(storages, "scaling", st.scaling, 0.0, true, 1e9, ">= 0");

  // external grids
  Table ext = open_table(folder, m, "ext_grid.csv", issues);
  auto& eg = t.ext_grids;
  eg.ext_grid_id = ext.ids();
  eg.name = ext.texts("name");
  eg.bus_idx = bus_refs(ext, "bus", bus_idx_of);
  eg.vm_pu = ext.numbers("vm_pu", 1.0);
  eg.va_degree = ext.numbers("va_degree", 0.0);
  eg.in_service = ext.booleans("in_service", true);
  check_range(ext, "vm_pu", eg.vm_pu, 0.0, false, 10.0, "> 0 pu");

  if (!issues.empty()) throw InputError(std::move(issues));
  return t;
}

}  // namespace citytwin::energy
