#pragma once

#include <atomic>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <citytwin/sim/error.hpp>

namespace citytwin::sim {

/// Element type of a state column.
enum class DType : std::uint8_t { kFloat64, kFloat32, kInt64, kInt32, kUInt8 };

/// Size in bytes of one element of `dtype`.
[[nodiscard]] std::size_t dtype_size(DType dtype);
/// Name of `dtype` as NumPy spells it ("float64", "int32"...).
[[nodiscard]] const char* dtype_name(DType dtype);

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, double>) return DType::kFloat64;
  else if constexpr (std::is_same_v<T, float>) return DType::kFloat32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return DType::kInt64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return DType::kInt32;
  else {
    static_assert(std::is_same_v<T, std::uint8_t>, "unsupported column type");
    return DType::kUInt8;
  }
}

/// How a column appears in the results.
enum class Output : std::uint8_t {
  kNone,      ///< not written
  kSeries,    ///< a (time, entity) variable, one row per output step
  kSnapshot,  ///< an (entity) variable holding the value at the last flushed output step
              ///< (accumulators such as annual yields, and per-entity attributes)
};

/// Description of one state column: who owns it, its entity dimension, unit and meaning.
struct ColumnSpec {
  std::string model;      ///< owning model name, e.g. "bikeshare"
  std::string name;       ///< column name with unit suffix, e.g. "bikes_available"
  DType dtype = DType::kFloat64;
  std::string dim;        ///< entity dimension name, declared with add_dim(), e.g. "station"
  std::int64_t size = 0;  ///< number of entities; add() takes it from the dimension
  std::string units;      ///< UDUNITS string: "1", "kW", "m s-1"...
  std::string long_name;  ///< human-readable meaning
  Output output = Output::kSeries;  ///< how the column is written to the results
  bool input = false;  ///< a control input that scripts may set between steps (Engine::input)
  [[nodiscard]] std::string qualified_name() const { return model + "." + name; }
};

/// Dense index of a column in a StateLayout.
using ColumnId = std::int32_t;

/// A typed handle to a column, returned by StateLayout::add<T>().
template <typename T>
struct Column {
  ColumnId id = -1;
  [[nodiscard]] bool valid() const { return id >= 0; }
};

/// An entity dimension of a model (its coordinate in the results holds the stable ids).
struct DimSpec {
  std::string model;               ///< owning model
  std::string name;                ///< dimension name, e.g. "station"
  std::vector<std::int64_t> ids;   ///< stable external id of each entity, in index order
  std::string long_name;           ///< meaning, e.g. "bike-share station id"
};

/// The list of every column of a run, declared by the models before the run starts.
/// Not thread-safe while declaring; immutable afterwards.
class StateLayout {
 public:
  /// Declares an entity dimension of a model; throws std::invalid_argument on a duplicate.
  void add_dim(DimSpec dim);
  /// Returns the dimension `name` of `model`, or nullptr.
  [[nodiscard]] const DimSpec* find_dim(std::string_view model, std::string_view name) const;
  [[nodiscard]] const std::vector<DimSpec>& dims() const { return dims_; }

  /// Declares a column; throws std::invalid_argument on a duplicate or empty name.
  template <typename T>
  Column<T> add(ColumnSpec spec) {
    spec.dtype = dtype_of<T>();
    return Column<T>{add_spec(std::move(spec))};
  }
  /// Returns the id of "model.column", or -1.
  [[nodiscard]] ColumnId find(std::string_view qualified_name) const;
  /// Returns a typed handle to an existing column; throws std::invalid_argument when the column
  /// is missing or of another type.
  template <typename T>
  [[nodiscard]] Column<T> get(std::string_view qualified_name) const {
    return Column<T>{checked_find(qualified_name, dtype_of<T>())};
  }
  [[nodiscard]] const ColumnSpec& spec(ColumnId id) const { return specs_.at(static_cast<std::size_t>(id)); }
  [[nodiscard]] const std::vector<ColumnSpec>& specs() const { return specs_; }
  [[nodiscard]] std::int32_t n_columns() const { return static_cast<std::int32_t>(specs_.size()); }

 private:
  ColumnId add_spec(ColumnSpec spec);  // size comes from the declared dimension
  ColumnId checked_find(std::string_view qualified_name, DType dtype) const;
  std::vector<ColumnSpec> specs_;
  std::vector<DimSpec> dims_;
};

/// Everything that changes during a run: one contiguous, 64-byte aligned, zero-initialised
/// buffer per column of the layout. Copyable (a checkpoint is a copy). Reading from many threads
/// is safe; writing distinct elements from many threads is safe.
class State {
 public:
  State() = default;
  /// Allocates every column of `layout`, zero-filled.
  explicit State(const StateLayout& layout);
  State(const State& other);
  State& operator=(const State& other);
  State(State&&) noexcept = default;
  State& operator=(State&&) noexcept = default;
  ~State() = default;

  template <typename T>
  [[nodiscard]] std::span<const T> get(Column<T> column) const {
    return {static_cast<const T*>(data(column.id)), static_cast<std::size_t>(size(column.id))};
  }
  template <typename T>
  [[nodiscard]] std::span<T> get_mutable(Column<T> column) {
    return {static_cast<T*>(data(column.id)), static_cast<std::size_t>(size(column.id))};
  }
  [[nodiscard]] const void* data(ColumnId id) const { return buffers_.at(static_cast<std::size_t>(id)).data.get(); }
  [[nodiscard]] void* data(ColumnId id) { return buffers_.at(static_cast<std::size_t>(id)).data.get(); }
  [[nodiscard]] std::int64_t size(ColumnId id) const { return buffers_.at(static_cast<std::size_t>(id)).size; }
  [[nodiscard]] std::size_t bytes(ColumnId id) const { return buffers_.at(static_cast<std::size_t>(id)).bytes; }
  [[nodiscard]] std::int32_t n_columns() const { return static_cast<std::int32_t>(buffers_.size()); }
  /// Copies one column from `other` (same layout) into this state.
  void copy_column_from(const State& other, ColumnId id);
  /// Copies the entries `entries` (indices into the column) of column `id` from `other`.
  void copy_entries_from(const State& other, ColumnId id, std::span<const std::int64_t> entries);
  /// Returns whether both states hold the same bytes in every column.
  [[nodiscard]] bool bitwise_equal(const State& other) const;

 private:
  struct AlignedDelete {
    void operator()(std::byte* p) const;
  };
  struct Buffer {
    std::unique_ptr<std::byte[], AlignedDelete> data;
    std::int64_t size = 0;
    std::size_t bytes = 0;
  };
  static Buffer allocate(std::int64_t size, std::size_t bytes);
  std::vector<Buffer> buffers_;
};

/// Write access to the next state for one model: only the columns that model owns.
/// Writing to another model's column throws InternalError. Safe to use from many threads for
/// distinct elements.
class StateWriter {
 public:
  StateWriter(State& next, const StateLayout& layout, std::string_view model);
  /// Same, recording the columns handed out: get() sets written[id] to 1 (n_columns flags, owned
  /// by the caller), so that the engine commits only the columns a step may have changed;
  /// get_entries() sets 2 and files its entry list in `entries` (one per column).
  StateWriter(State& next, const StateLayout& layout, std::string_view model,
              std::span<std::uint8_t> written,
              std::span<std::span<const std::int64_t>> entries = {});
  template <typename T>
  [[nodiscard]] std::span<T> get(Column<T> column) const {
    CITYTWIN_CHECK(owns(column.id), "a model wrote a column it does not own");
    mark_written(column.id);
    return next_->get_mutable(column);
  }
  /// Like get(), for a step that writes only the entries listed in `entries` (distinct indices
  /// into the column): the engine then commits just those, O(entries) instead of the column. The
  /// list must stay valid until the tick ends. Call it from one thread; a column also taken with
  /// get() in the same tick is committed whole.
  template <typename T>
  [[nodiscard]] std::span<T> get_entries(Column<T> column,
                                         std::span<const std::int64_t> entries) const {
    CITYTWIN_CHECK(owns(column.id), "a model wrote a column it does not own");
    mark_entries(column.id, entries);
    return next_->get_mutable(column);
  }
  [[nodiscard]] bool owns(ColumnId id) const;

 private:
  void mark_written(ColumnId id) const {
    if (written_.empty()) return;
    // get() may run on many threads at once: the flag only ever goes to 1 (a column taken whole
    // after get_entries(), flag 2, is committed whole)
    const std::atomic_ref<std::uint8_t> flag(written_[static_cast<std::size_t>(id)]);
    if (flag.load(std::memory_order_relaxed) != 1) flag.store(1, std::memory_order_relaxed);
  }

  void mark_entries(ColumnId id, std::span<const std::int64_t> entries) const;

  State* next_;
  const StateLayout* layout_;
  std::string model_;
  std::span<std::uint8_t> written_;
  std::span<std::span<const std::int64_t>> entries_;
};

}  // namespace citytwin::sim
