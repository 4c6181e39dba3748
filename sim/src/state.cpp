#include <citytwin/sim/state.hpp>

#include <cstring>
#include <new>
#include <stdexcept>

namespace citytwin::sim {

namespace {
constexpr std::align_val_t kAlignment{64};
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return 8;
    case DType::kFloat32: return 4;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kUInt8: return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return "float64";
    case DType::kFloat32: return "float32";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kUInt8: return "uint8";
  }
  return "?";
}

void StateLayout::add_dim(DimSpec dim) {
  if (dim.model.empty() || dim.name.empty()) throw std::invalid_argument("add_dim: empty model or dimension name");
  if (find_dim(dim.model, dim.name) != nullptr) {
    throw std::invalid_argument("add_dim: dimension '" + dim.model + "." + dim.name + "' declared twice");
  }
  dims_.push_back(std::move(dim));
}

const DimSpec* StateLayout::find_dim(std::string_view model, std::string_view name) const {
  for (const auto& dim : dims_) {
    if (dim.model == model && dim.name == name) return &dim;
  }
  return nullptr;
}

ColumnId StateLayout::add_spec(ColumnSpec spec) {
  if (spec.model.empty() || spec.name.empty()) throw std::invalid_argument("StateLayout::add: empty model or column name");
  if (find(spec.qualified_name()) >= 0) {
    throw std::invalid_argument("StateLayout::add: column '" + spec.qualified_name() + "' declared twice");
  }
  const DimSpec* dim = find_dim(spec.model, spec.dim);
  if (dim == nullptr) {
    throw std::invalid_argument("StateLayout::add: column '" + spec.qualified_name() + "' uses undeclared dimension '" +
                                spec.dim + "'");
  }
  spec.size = static_cast<std::int64_t>(dim->ids.size());
  specs_.push_back(std::move(spec));
  return static_cast<ColumnId>(specs_.size() - 1);
}

ColumnId StateLayout::find(std::string_view qualified_name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const auto& s = specs_[i];
    if (qualified_name.size() == s.model.size() + 1 + s.name.size() &&
        qualified_name.substr(0, s.model.size()) == s.model && qualified_name[s.model.size()] == '.' &&
        qualified_name.substr(s.model.size() + 1) == s.name) {
      return static_cast<ColumnId>(i);
    }
  }
  return -1;
}

ColumnId StateLayout::checked_find(std::string_view qualified_name, DType dtype) const {
  const ColumnId id = find(qualified_name);
  if (id < 0) throw std::invalid_argument("no state column '" + std::string(qualified_name) + "'");
  if (spec(id).dtype != dtype) {
    throw std::invalid_argument("state column '" + std::string(qualified_name) + "' is " +
                                dtype_name(spec(id).dtype) + ", not " + dtype_name(dtype));
  }
  return id;
}

void State::AlignedDelete::operator()(std::byte* p) const { ::operator delete[](p, kAlignment); }

State::Buffer State::allocate(std::int64_t size, std::size_t bytes) {
  Buffer buffer;
  buffer.size = size;
  buffer.bytes = bytes;
  // at least one byte so that every column has a distinct, stable address
  auto* raw = static_cast<std::byte*>(::operator new[](bytes == 0 ? 1 : bytes, kAlignment));
  std::memset(raw, 0, bytes == 0 ? 1 : bytes);
  buffer.data.reset(raw);
  return buffer;
}

State::State(const StateLayout& layout) {
  buffers_.reserve(layout.specs().size());
  for (const auto& spec : layout.specs()) {
    buffers_.push_back(allocate(spec.size, static_cast<std::size_t>(spec.size) * dtype_size(spec.dtype)));
  }
}

State::State(const State& other) {
  buffers_.reserve(other.buffers_.size());
  for (const auto& b : other.buffers_) {
    Buffer copy = allocate(b.size, b.bytes);
    std::memcpy(copy.data.get(), b.data.get(), b.bytes);
    buffers_.push_back(std::move(copy));
  }
}

State& State::operator=(const State& other) {
  if (this == &other) return *this;
  // reuse our buffers when the shapes match so that views on them stay valid
  bool same_shape = buffers_.size() == other.buffers_.size();
  for (std::size_t i = 0; same_shape && i < buffers_.size(); ++i) {
    same_shape = buffers_[i].bytes == other.buffers_[i].bytes;
  }
  if (!same_shape) {
    State copy(other);
    *this = std::move(copy);
    return *this;
  }
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    std::memcpy(buffers_[i].data.get(), other.buffers_[i].data.get(), buffers_[i].bytes);
  }
  return *this;
}

void State::copy_column_from(const State& other, ColumnId id) {
  const auto i = static_cast<std::size_t>(id);
  CITYTWIN_CHECK(buffers_.at(i).bytes == other.buffers_.at(i).bytes, "column shapes differ");
  std::memcpy(buffers_[i].data.get(), other.buffers_[i].data.get(), buffers_[i].bytes);
}

bool State::bitwise_equal(const State& other) const {
  if (buffers_.size() != other.buffers_.size()) return false;
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].bytes != other.buffers_[i].bytes) return false;
    if (std::memcmp(buffers_[i].data.get(), other.buffers_[i].data.get(), buffers_[i].bytes) != 0) return false;
  }
  return true;
}

StateWriter::StateWriter(State& next, const StateLayout& layout, std::string_view model)
    : next_(&next), layout_(&layout), model_(model) {}

StateWriter::StateWriter(State& next, const StateLayout& layout, std::string_view model,
                         std::span<std::uint8_t> written,
                         std::span<std::span<const std::int64_t>> entries)
    : next_(&next), layout_(&layout), model_(model), written_(written), entries_(entries) {
  CITYTWIN_CHECK(static_cast<ColumnId>(written.size()) == layout.n_columns(),
                 "written flags need one entry per column");
  CITYTWIN_CHECK(entries.empty() || static_cast<ColumnId>(entries.size()) == layout.n_columns(),
                 "entry lists need one slot per column");
}

void StateWriter::mark_entries(ColumnId id, std::span<const std::int64_t> entries) const {
  const auto i = static_cast<std::size_t>(id);
  if (written_.empty()) return;
  if (entries_.empty()) {  // no place for the list: the column is committed whole
    mark_written(id);
    return;
  }
  const std::int64_t size = next_->size(id);
  for (const std::int64_t e : entries) {
    CITYTWIN_CHECK(e >= 0 && e < size, "get_entries: an entry is outside the column");
  }
  if (written_[i] == 0) {
    written_[i] = 2;
    entries_[i] = entries;
  } else if (written_[i] == 2) {
    written_[i] = 1;  // two lists for one column: commit it whole
  }
}

void State::copy_entries_from(const State& other, ColumnId id,
                              std::span<const std::int64_t> entries) {
  const auto i = static_cast<std::size_t>(id);
  CITYTWIN_CHECK(buffers_.at(i).bytes == other.buffers_.at(i).bytes, "column shapes differ");
  const Buffer& b = buffers_[i];
  const std::size_t element = b.size > 0 ? b.bytes / static_cast<std::size_t>(b.size) : 0;
  std::byte* to = b.data.get();
  const std::byte* from = other.buffers_[i].data.get();
  switch (element) {  // the common sizes as typed copies, the rest with memcpy
    case 8:
      for (const std::int64_t e : entries) {
        std::memcpy(to + static_cast<std::size_t>(e) * 8, from + static_cast<std::size_t>(e) * 8, 8);
      }
      break;
    case 4:
      for (const std::int64_t e : entries) {
        std::memcpy(to + static_cast<std::size_t>(e) * 4, from + static_cast<std::size_t>(e) * 4, 4);
      }
      break;
    default:
      for (const std::int64_t e : entries) {
        const std::size_t at = static_cast<std::size_t>(e) * element;
        std::memcpy(to + at, from + at, element);
      }
  }
}

bool StateWriter::owns(ColumnId id) const {
  return id >= 0 && id < layout_->n_columns() && layout_->spec(id).model == model_;
}

}  // namespace citytwin::sim
