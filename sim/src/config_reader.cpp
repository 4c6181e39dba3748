#include <citytwin/sim/config_reader.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace citytwin::sim {

namespace {

std::string number_text(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  std::ostringstream out;
  out << value;
  return out.str();
}

// the value as the user wrote it, for "(got ...)"
std::string value_text(const ConfigNode& node) {
  switch (node.kind()) {
    case ConfigNode::Kind::kString: return "'" + node.as_string() + "'";
    case ConfigNode::Kind::kInteger: return std::to_string(node.as_integer());
    case ConfigNode::Kind::kFloat: return number_text(node.as_float());
    case ConfigNode::Kind::kBoolean: return node.as_bool() ? "true" : "false";
    default: return node.kind_name();
  }
}

std::string range_text(const Range& r) {
  const bool has_min = std::isfinite(r.min);
  const bool has_max = std::isfinite(r.max);
  if (has_min && has_max && !r.min_exclusive && !r.max_exclusive) {
    return "between " + number_text(r.min) + " and " + number_text(r.max);
  }
  std::string text;
  if (has_min) text += (r.min_exclusive ? "> " : ">= ") + number_text(r.min);
  if (has_max) text += (has_min ? " and " : "") + std::string(r.max_exclusive ? "< " : "<= ") + number_text(r.max);
  return text;
}

}  // namespace

std::optional<std::int64_t> parse_duration_s(std::string_view text) {
  // trim
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double number = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double factor = 0.0;
  if (unit.empty() || unit == "s" || unit == "sec") factor = 1.0;
  else if (unit == "min" || unit == "m") factor = 60.0;
  else if (unit == "h") factor = 3600.0;
  else if (unit == "d") factor = 86400.0;
  else if (unit == "w") factor = 604800.0;
  else return std::nullopt;
  const double seconds = number * factor;
  if (!std::isfinite(seconds) || seconds != std::floor(seconds)) return std::nullopt;
  return static_cast<std::int64_t>(seconds);
}

ConfigReader::ConfigReader(const ConfigNode* table, std::string path, Diagnostics& diagnostics)
    : table_(table), path_(std::move(path)), diagnostics_(&diagnostics) {}

std::string ConfigReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const ConfigNode* ConfigReader::lookup(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (table_ == nullptr || !table_->is_table()) return nullptr;
  return table_->find(key);
}

bool ConfigReader::has(std::string_view key) { return lookup(key) != nullptr; }

void ConfigReader::accept(std::string_view key) { (void)lookup(key); }

void ConfigReader::accept_all() {
  if (table_ == nullptr || !table_->is_table()) return;
  for (const auto& entry : table_->entries()) accept(entry.first);
}

const ConfigNode* ConfigReader::node(std::string_view key) { return lookup(key); }

void ConfigReader::error(std::string_view key, const std::string& message) {
  const ConfigNode* value = (table_ != nullptr && table_->is_table()) ? table_->find(key) : nullptr;
  const SourcePos where = value != nullptr ? value->where() : (table_ != nullptr ? table_->where() : SourcePos{});
  diagnostics_->error(where.file, where.line, where.column, key_path(key), key_path(key) + " " + message);
}

void ConfigReader::type_error(std::string_view key, const ConfigNode& value, const char* expected) {
  error(key, std::string("must be ") + expected + " (got " + value.kind_name() + ")");
}

bool ConfigReader::check_range(std::string_view key, double value, const Range& range) {
  const bool below = range.min_exclusive ? !(value > range.min) : !(value >= range.min);
  const bool above = range.max_exclusive ? !(value < range.max) : !(value <= range.max);
  if (below || above || std::isnan(value)) {
    error(key, "must be " + range_text(range) + " (got " + number_text(value) + ")");
    return false;
  }
  return true;
}

bool ConfigReader::read(std::string_view key, double& out, Range range) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  if (value->kind() != ConfigNode::Kind::kFloat && value->kind() != ConfigNode::Kind::kInteger) {
    type_error(key, *value, "a number");
    return false;
  }
  if (!check_range(key, value->as_float(), range)) return false;
  out = value->as_float();
  return true;
}

bool ConfigReader::read(std::string_view key, std::int64_t& out, Range range) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  if (value->kind() != ConfigNode::Kind::kInteger) {
    type_error(key, *value, "an integer");
    return false;
  }
  if (!check_range(key, static_cast<double>(value->as_integer()), range)) return false;
  out = value->as_integer();
  return true;
}

bool ConfigReader::read(std::string_view key, int& out, Range range) {
  std::int64_t wide = out;
  if (!read(key, wide, range)) return false;
  if (wide < -2147483648LL || wide > 2147483647LL) {
    error(key, "must fit in 32 bits (got " + std::to_string(wide) + ")");
    return false;
  }
  out = static_cast<int>(wide);
  return true;
}

bool ConfigReader::read(std::string_view key, bool& out) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  if (value->kind() != ConfigNode::Kind::kBoolean) {
    type_error(key, *value, "true or false");
    return false;
  }
  out = value->as_bool();
  return true;
}

bool ConfigReader::read(std::string_view key, std::string& out) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  if (value->kind() != ConfigNode::Kind::kString) {
    type_error(key, *value, "a string");
    return false;
  }
  out = value->as_string();
  return true;
}

bool ConfigReader::read_choice(std::string_view key, std::string& out,
                               const std::vector<std::string>& choices) {
  std::string text;
  if (!read(key, text)) return false;
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
    const std::string hint = closest_match(text, choices);
    error(key, "must be one of " + list + " (got '" + text + "')" +
                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return false;
  }
  out = text;
  return true;
}

bool ConfigReader::read_duration_s(std::string_view key, std::int64_t& out_s, Range range) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  std::optional<std::int64_t> seconds;
  if (value->kind() == ConfigNode::Kind::kInteger) {
    seconds = value->as_integer();
  } else if (value->kind() == ConfigNode::Kind::kString) {
    seconds = parse_duration_s(value->as_string());
  } else {
    type_error(key, *value, "a duration (seconds, or a string like \"15min\", \"2h\", \"7d\")");
    return false;
  }
  if (!seconds) {
    error(key, "must be a duration like \"900\", \"90s\", \"15min\", \"2h\" or \"7d\" (got " +
                   value_text(*value) + ")");
    return false;
  }
  if (!check_range(key, static_cast<double>(*seconds), range)) return false;
  out_s = *seconds;
  return true;
}

bool ConfigReader::read(std::string_view key, std::vector<double>& out, Range range) {
  const ConfigNode* value = lookup(key);
  if (value == nullptr) return false;
  if (!value->is_array()) {
    type_error(key, *value, "an array of numbers");
    return false;
  }
  std::vector<double> numbers;
  bool ok = true;
  for (std::size_t i = 0; i < value->items().size(); ++i) {
    const ConfigNode& item = value->items()[i];
    const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
    if (item.kind() != ConfigNode::Kind::kFloat && item.kind() != ConfigNode::Kind::kInteger) {
      diagnostics_->error(item.where().file, item.where().line, item.where().column, key_path(item_key),
                          key_path(item_key) + " must be a number (got " + item.kind_name() + ")");
      ok = false;
      continue;
    }
    const double x = item.as_float();
    const bool below = range.min_exclusive ? !(x > range.min) : !(x >= range.min);
    const bool above = range.max_exclusive ? !(x < range.max) : !(x <= range.max);
    if (below || above) {
      diagnostics_->error(item.where().file, item.where().line, item.where().column, key_path(item_key),
                          key_path(item_key) + " must be " + range_text(range) + " (got " + number_text(x) + ")");
      ok = false;
      continue;
    }
    numbers.push_back(x);
  }
  if (ok) out = std::move(numbers);
  return ok;
}

bool ConfigReader::require(std::string_view key) {
  if (has(key)) return true;
  const SourcePos where = table_ != nullptr ? table_->where() : SourcePos{};
  diagnostics_->error(where.file, where.line, where.column, key_path(key),
                      "missing required key '" + key_path(key) + "'");
  return false;
}

ConfigReader ConfigReader::section(std::string_view key) {
  const ConfigNode* value = lookup(key);
  if (value != nullptr && !value->is_table()) {
    type_error(key, *value, "a table");
    value = nullptr;
  }
  return ConfigReader(value, key_path(key), *diagnostics_);
}

void ConfigReader::finish() {
  if (table_ == nullptr || !table_->is_table()) return;
  for (const auto& [key, value] : table_->entries()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string hint = closest_match(key, known_);
    std::string message = "unknown key '" + key_path(key) + "'";
    if (!hint.empty()) {
      message += " (did you mean '" + hint + "'?)";
    } else if (!known_.empty()) {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      message += " (valid keys here: " + list + ")";
    }
    diagnostics_->error(value.where().file, value.where().line, value.where().column, key_path(key), message);
  }
}

}  // namespace citytwin::sim
