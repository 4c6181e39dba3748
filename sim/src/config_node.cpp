#include <citytwin/sim/config_node.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <citytwin/sim/error.hpp>

namespace citytwin::sim {

namespace {

bool is_bare_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          out += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string key_text(std::string_view key) { return is_bare_key(key) ? std::string(key) : quote(key); }

std::string float_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // shortest text that reads back to the same double
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

bool is_array_of_tables(const ConfigNode& node) {
  if (!node.is_array() || node.items().empty()) return false;
  for (const auto& item : node.items()) {
    if (!item.is_table()) return false;
  }
  return true;
}

void write_inline(const ConfigNode& node, std::string& out);

void write_inline_table(const ConfigNode& node, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [key, child] : node.entries()) {
    out += first ? " " : ", ";
    first = false;
    out += key_text(key);
    out += " = ";
    write_inline(child, out);
  }
  out += first ? "}" : " }";
}

void write_inline(const ConfigNode& node, std::string& out) {
  switch (node.kind()) {
    case ConfigNode::Kind::kTable: write_inline_table(node, out); break;
    case ConfigNode::Kind::kArray: {
      out += '[';
      for (std::size_t i = 0; i < node.items().size(); ++i) {
        if (i > 0) out += ", ";
        write_inline(node.items()[i], out);
      }
      out += ']';
      break;
    }
    case ConfigNode::Kind::kString: out += quote(node.as_string()); break;
    case ConfigNode::Kind::kDateTime: out += node.as_string(); break;
    case ConfigNode::Kind::kInteger: out += std::to_string(node.as_integer()); break;
    case ConfigNode::Kind::kFloat: out += float_text(node.as_float()); break;
    case ConfigNode::Kind::kBoolean: out += node.as_bool() ? "true" : "false"; break;
  }
}

void write_table(const ConfigNode& table, const std::string& prefix, std::string& out) {
  // scalars and inline arrays first, then sub-tables and arrays of tables
  for (const auto& [key, child] : table.entries()) {
    if (child.is_table() || is_array_of_tables(child)) continue;
    out += key_text(key);
    out += " = ";
    write_inline(child, out);
    out += '\n';
  }
  for (const auto& [key, child] : table.entries()) {
    const std::string path = prefix.empty() ? key_text(key) : prefix + "." + key_text(key);
    if (child.is_table()) {
      out += "\n[" + path + "]\n";
      write_table(child, path, out);
    } else if (is_array_of_tables(child)) {
      for (const auto& item : child.items()) {
        out += "\n[[" + path + "]]\n";
        write_table(item, path, out);
      }
    }
  }
}

// splits "a.b.c" at dots (no quoting support: scenario keys are bare)
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

ConfigNode::ConfigNode() = default;

ConfigNode::ConfigNode(Kind kind, SourcePos where) : kind_(kind), where_(std::move(where)) {}

ConfigNode ConfigNode::table(SourcePos where) { return {Kind::kTable, std::move(where)}; }
ConfigNode ConfigNode::array(SourcePos where) { return {Kind::kArray, std::move(where)}; }

ConfigNode ConfigNode::string(std::string value, SourcePos where) {
  ConfigNode node(Kind::kString, std::move(where));
  node.value_ = std::move(value);
  return node;
}

ConfigNode ConfigNode::integer(std::int64_t value, SourcePos where) {
  ConfigNode node(Kind::kInteger, std::move(where));
  node.value_ = value;
  return node;
}

ConfigNode ConfigNode::floating(double value, SourcePos where) {
  ConfigNode node(Kind::kFloat, std::move(where));
  node.value_ = value;
  return node;
}

ConfigNode ConfigNode::boolean(bool value, SourcePos where) {
  ConfigNode node(Kind::kBoolean, std::move(where));
  node.value_ = value;
  return node;
}

ConfigNode ConfigNode::date_time(std::string iso_text, SourcePos where) {
  ConfigNode node(Kind::kDateTime, std::move(where));
  node.value_ = std::move(iso_text);
  return node;
}

std::string ConfigNode::kind_name(Kind kind) {
  switch (kind) {
    case Kind::kTable: return "a table";
    case Kind::kArray: return "an array";
    case Kind::kString: return "a string";
    case Kind::kInteger: return "an integer";
    case Kind::kFloat: return "a float";
    case Kind::kBoolean: return "a boolean";
    case Kind::kDateTime: return "a date-time";
  }
  return "a value";
}

std::string ConfigNode::kind_name() const { return kind_name(kind_); }

const ConfigNode* ConfigNode::find(std::string_view key) const {
  CITYTWIN_CHECK(is_table(), "find() on a non-table config node");
  for (const auto& entry : entries_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  return const_cast<ConfigNode*>(std::as_const(*this).find(key));
}

ConfigNode& ConfigNode::insert(std::string key, ConfigNode child) {
  CITYTWIN_CHECK(is_table(), "insert() on a non-table config node");
  if (ConfigNode* existing = find(key)) {
    *existing = std::move(child);
    return *existing;
  }
  entries_.emplace_back(std::move(key), std::move(child));
  return entries_.back().second;
}

bool ConfigNode::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

void ConfigNode::push_back(ConfigNode item) {
  CITYTWIN_CHECK(is_array(), "push_back() on a non-array config node");
  items_.push_back(std::move(item));
}

const std::string& ConfigNode::as_string() const {
  CITYTWIN_CHECK(kind_ == Kind::kString || kind_ == Kind::kDateTime, "config node is not a string");
  return std::get<std::string>(value_);
}

std::int64_t ConfigNode::as_integer() const {
  CITYTWIN_CHECK(kind_ == Kind::kInteger, "config node is not an integer");
  return std::get<std::int64_t>(value_);
}

double ConfigNode::as_float() const {
  if (kind_ == Kind::kInteger) return static_cast<double>(std::get<std::int64_t>(value_));
  CITYTWIN_CHECK(kind_ == Kind::kFloat, "config node is not a number");
  return std::get<double>(value_);
}

bool ConfigNode::as_bool() const {
  CITYTWIN_CHECK(kind_ == Kind::kBoolean, "config node is not a boolean");
  return std::get<bool>(value_);
}

void ConfigNode::merge(const ConfigNode& overlay) {
  if (!is_table() || !overlay.is_table()) {
    *this = overlay;
    return;
  }
  for (const auto& [key, child] : overlay.entries()) {
    ConfigNode* mine = find(key);
    if (mine != nullptr && mine->is_table() && child.is_table()) {
      mine->merge(child);
    } else {
      insert(key, child);
    }
  }
}

void ConfigNode::set_path(std::string_view dotted_path, ConfigNode value) {
  const auto parts = split_path(dotted_path);
  ConfigNode* node = this;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw std::invalid_argument("empty key in path '" + std::string(dotted_path) + "'");
    ConfigNode* child = node->find(parts[i]);
    if (child == nullptr) {
      child = &node->insert(std::string(parts[i]), ConfigNode::table(value.where()));
    } else if (!child->is_table()) {
      throw std::invalid_argument("'" + std::string(dotted_path.substr(0, static_cast<std::size_t>(parts[i].data() + parts[i].size() - dotted_path.data()))) +
                                  "' is " + child->kind_name() + ", not a table");
    }
    node = child;
  }
  if (parts.back().empty()) throw std::invalid_argument("empty key in path '" + std::string(dotted_path) + "'");
  node->insert(std::string(parts.back()), std::move(value));
}

const ConfigNode* ConfigNode::find_path(std::string_view dotted_path) const {
  const ConfigNode* node = this;
  for (const auto part : split_path(dotted_path)) {
    if (!node->is_table()) return nullptr;
    node = node->find(part);
    if (node == nullptr) return nullptr;
  }
  return node;
}

std::string ConfigNode::to_toml() const {
  std::string out;
  if (is_table()) write_table(*this, "", out);
  else write_inline(*this, out);
  // drop the blank line a leading sub-table header leaves
  if (!out.empty() && out.front() == '\n') out.erase(0, 1);
  return out;
}

}  // namespace citytwin::sim
