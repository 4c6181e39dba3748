// TOML text -> ConfigNode tree with source positions (toml++ 3.3).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include <citytwin/io/scenario.hpp>
#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::io {
namespace {

using sim::ConfigNode;
using sim::SourcePos;

/// Returns whether toml++ knows the position (line 0 means "unknown").
bool is_known(const toml::source_position& position) { return position.line > 0; }

/// Returns whether `a` comes before `b` in the text.
bool is_before(const toml::source_position& a, const toml::source_position& b) {
  return a.line < b.line || (a.line == b.line && a.column < b.column);
}

SourcePos to_source_pos(const toml::source_position& position, const std::string& file_name) {
  return {file_name, static_cast<int>(position.line), static_cast<int>(position.column)};
}

/// Where a table entry was written: the earlier of its key and its value. For `key = value` this
/// is the key (the start of the line); for `[section]` it is the opening bracket.
toml::source_position entry_position(const toml::key& key, const toml::node& value) {
  const toml::source_position key_pos = key.source().begin;
  const toml::source_position value_pos = value.source().begin;
  if (!is_known(value_pos)) return key_pos;
  if (!is_known(key_pos)) return value_pos;
  return is_before(value_pos, key_pos) ? value_pos : key_pos;
}

std::string format_date(const toml::date& date) {
  std::ostringstream out;
  out << std::setfill('0') << std::setw(4) << date.year << '-' << std::setw(2)
      << static_cast<int>(date.month) << '-' << std::setw(2) << static_cast<int>(date.day);
  return out.str();
}

std::string format_time(const toml::time& time) {
  std::ostringstream out;
  out << std::setfill('0') << std::setw(2) << static_cast<int>(time.hour) << ':' << std::setw(2)
      << static_cast<int>(time.minute) << ':' << std::setw(2) << static_cast<int>(time.second);
  // fractional seconds, without trailing zeros
  if (time.nanosecond != 0) {
    std::ostringstream fraction;
    fraction << std::setfill('0') << std::setw(9) << time.nanosecond;
    std::string digits = fraction.str();
    digits.erase(digits.find_last_not_of('0') + 1);
    out << '.' << digits;
  }
  return out.str();
}

std::string format_offset(const toml::time_offset& offset) {
  if (offset.minutes == 0) return "Z";
  const int total_min = offset.minutes;
  const int abs_min = total_min < 0 ? -total_min : total_min;
  std::ostringstream out;
  out << (total_min < 0 ? '-' : '+') << std::setfill('0') << std::setw(2) << abs_min / 60 << ':'
      << std::setw(2) << abs_min % 60;
  return out.str();
}

/// Formats a TOML date-time as ISO 8601 text ("2024-06-21T00:00:00", "...+02:00", "...Z").
std::string format_date_time(const toml::date_time& date_time) {
  std::string text = format_date(date_time.date) + 'T' + format_time(date_time.time);
  if (date_time.offset) text += format_offset(*date_time.offset);
  return text;
}

ConfigNode convert(const toml::node& node, const SourcePos& where, const std::string& file_name);

ConfigNode convert_table(const toml::table& table, const SourcePos& where,
                         const std::string& file_name) {
  // toml++ keeps keys sorted: recover the written order from the source positions
  struct Written {
    const toml::key* key;
    const toml::node* value;
    toml::source_position position;
  };
  std::vector<Written> written;
  written.reserve(table.size());
  for (auto&& [key, value] : table) {
    written.push_back({&key, &value, entry_position(key, value)});
  }
  std::stable_sort(written.begin(), written.end(), [](const Written& a, const Written& b) {
    return is_before(a.position, b.position);
  });

  // convert the children in that order
  ConfigNode out = ConfigNode::table(where);
  for (const Written& entry : written) {
    out.insert(std::string(entry.key->str()),
               convert(*entry.value, to_source_pos(entry.position, file_name), file_name));
  }
  return out;
}

ConfigNode convert_array(const toml::array& array, const SourcePos& where,
                         const std::string& file_name) {
  ConfigNode out = ConfigNode::array(where);
  for (const toml::node& item : array) {
    const toml::source_position item_pos = item.source().begin;
    out.push_back(
        convert(item, is_known(item_pos) ? to_source_pos(item_pos, file_name) : where, file_name));
  }
  return out;
}

ConfigNode convert(const toml::node& node, const SourcePos& where, const std::string& file_name) {
  switch (node.type()) {
    case toml::node_type::table:
      return convert_table(*node.as_table(), where, file_name);
    case toml::node_type::array:
      return convert_array(*node.as_array(), where, file_name);
    case toml::node_type::string:
      return ConfigNode::string(node.as_string()->get(), where);
    case toml::node_type::integer:
      return ConfigNode::integer(node.as_integer()->get(), where);
    case toml::node_type::floating_point:
      return ConfigNode::floating(node.as_floating_point()->get(), where);
    case toml::node_type::boolean:
      return ConfigNode::boolean(node.as_boolean()->get(), where);
    case toml::node_type::date:
      return ConfigNode::date_time(format_date(node.as_date()->get()), where);
    case toml::node_type::time:
      return ConfigNode::date_time(format_time(node.as_time()->get()), where);
    case toml::node_type::date_time:
      return ConfigNode::date_time(format_date_time(node.as_date_time()->get()), where);
    case toml::node_type::none:
      break;
  }
  CITYTWIN_CHECK(false, "toml++ returned a node of no known type");
  return ConfigNode::table(where);
}

/// Throws the InputError of a TOML syntax error: position and toml++'s description.
[[noreturn]] void throw_syntax_error(const toml::parse_error& error, const std::string& file_name) {
  std::string description(error.description());
  if (!description.empty()) {
    description[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(description[0])));
  }
  const toml::source_position position = error.source().begin;
  throw InputError(InputIssue{file_name, static_cast<int>(position.line),
                              static_cast<int>(position.column), "",
                              "invalid TOML syntax: " + description});
}

}  // namespace

sim::ConfigNode parse_toml(std::string_view text, const std::string& file_name) {
  // parse with toml++, whichever way this build reports errors
  toml::table table;
#if TOML_EXCEPTIONS
  try {
    table = toml::parse(text, std::string_view(file_name));
  } catch (const toml::parse_error& error) {
    throw_syntax_error(error, file_name);
  }
#else
  toml::parse_result result = toml::parse(text, std::string_view(file_name));
  if (result.failed()) throw_syntax_error(result.error(), file_name);
  table = std::move(result).table();
#endif

  // convert to the format-neutral tree; the root sits at the start of the file
  return convert_table(table, SourcePos{file_name, 1, 1}, file_name);
}

}  // namespace citytwin::io
