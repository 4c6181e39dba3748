#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace citytwin::sim {

/// Where a configuration value was written: file, 1-based line and column.
struct SourcePos {
  std::string file;  ///< path as the user gave it, or "<command line>"
  int line = 0;      ///< 1-based, 0 when unknown
  int column = 0;    ///< 1-based, 0 when unknown
};

/// A format-neutral configuration tree (the parsed scenario): tables, arrays and scalars, each
/// remembering where it was written. Tables keep their keys in the order they were written.
/// Immutable after load except through merge() and set_path(); not thread-safe while mutated.
class ConfigNode {
 public:
  enum class Kind { kTable, kArray, kString, kInteger, kFloat, kBoolean, kDateTime };
  using Entry = std::pair<std::string, ConfigNode>;

  /// An empty table.
  ConfigNode();
  /// Constructors of scalar nodes; a date-time is kept as its ISO 8601 text.
  static ConfigNode table(SourcePos where);
  static ConfigNode array(SourcePos where);
  static ConfigNode string(std::string value, SourcePos where);
  static ConfigNode integer(std::int64_t value, SourcePos where);
  static ConfigNode floating(double value, SourcePos where);
  static ConfigNode boolean(bool value, SourcePos where);
  static ConfigNode date_time(std::string iso_text, SourcePos where);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_table() const { return kind_ == Kind::kTable; }
  [[nodiscard]] bool is_array() const { return kind_ == Kind::kArray; }
  [[nodiscard]] const SourcePos& where() const { return where_; }
  /// Returns the kind as a word for messages ("a table", "an integer"...).
  [[nodiscard]] std::string kind_name() const;
  static std::string kind_name(Kind kind);

  /// Table access: the child under `key` or nullptr. Precondition: is_table().
  [[nodiscard]] const ConfigNode* find(std::string_view key) const;
  [[nodiscard]] ConfigNode* find(std::string_view key);
  /// Table entries in written order. Precondition: is_table().
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
  /// Inserts or replaces a table child, keeping the position of a replaced key.
  ConfigNode& insert(std::string key, ConfigNode child);
  /// Removes a table child; returns whether it existed.
  bool erase(std::string_view key);

  /// Array items. Precondition: is_array().
  [[nodiscard]] const std::vector<ConfigNode>& items() const { return items_; }
  void push_back(ConfigNode item);

  /// Scalar values; each precondition is the matching kind (kFloat also accepts kInteger).
  [[nodiscard]] const std::string& as_string() const;  // kString or kDateTime
  [[nodiscard]] std::int64_t as_integer() const;
  [[nodiscard]] double as_float() const;
  [[nodiscard]] bool as_bool() const;

  /// Merges `overlay` into this table: tables merge key by key, anything else is replaced.
  void merge(const ConfigNode& overlay);
  /// Sets the value at a dotted path ("models.solar.enabled"), creating tables on the way.
  /// Throws std::invalid_argument if a path component names a non-table.
  void set_path(std::string_view dotted_path, ConfigNode value);
  /// Returns the node at a dotted path, or nullptr.
  [[nodiscard]] const ConfigNode* find_path(std::string_view dotted_path) const;

  /// Serialises the tree as TOML text (the "fully resolved scenario" stored with results).
  [[nodiscard]] std::string to_toml() const;

 private:
  ConfigNode(Kind kind, SourcePos where);

  Kind kind_ = Kind::kTable;
  SourcePos where_;
  std::variant<std::monostate, std::string, std::int64_t, double, bool> value_;
  std::vector<Entry> entries_;
  std::vector<ConfigNode> items_;
};

}  // namespace citytwin::sim
