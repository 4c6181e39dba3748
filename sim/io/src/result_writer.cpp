#include <citytwin/io/result_writer.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <hdf5.h>
#include <hdf5_hl.h>
#include <zlib.h>

#include "hdf5_support.hpp"

#include <citytwin/config.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/parallel.hpp>

// The layout written here is documented in docs/output-format.md; change both together.

namespace citytwin::io {
namespace {

constexpr std::size_t kChunkBudgetBytes = std::size_t{1} << 20;  // [B] upper size of one chunk
constexpr std::int64_t kTimeCoordinateChunk = 1024;  // [1] minimum time chunk of coordinates
constexpr int kPackBatchPerThread = 4;  // [1] chunks packed per thread before they are written

using detail::collect_error;
using detail::expect_ok;
using detail::fail;
using detail::Hdf5Error;
using detail::Hid;
using detail::kDimWithoutVariable;
using detail::QuietErrors;

/// Runs `body` with HDF5 printing off and rethrows HDF5 failures with the file and the action.
template <typename Body>
void guarded(const std::filesystem::path& file, const char* action, Body&& body) {
  const QuietErrors quiet;
  try {
    body();
  } catch (const Hdf5Error& e) {
    throw std::runtime_error(file.string() + ": " + action + ": " + e.what());
  }
}

/// HDF5 memory type of a C++ element type.
template <typename T>
hid_t mem_type_of() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_NATIVE_INT32;
  else {
    static_assert(std::is_same_v<T, std::uint8_t>, "unsupported element type");
    return H5T_NATIVE_UINT8;
  }
}

/// HDF5 file type (little-endian, standard) of a C++ element type.
template <typename T>
hid_t file_type_of() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_IEEE_F64LE;
  else if constexpr (std::is_same_v<T, float>)
    return H5T_IEEE_F32LE;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_STD_I64LE;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_STD_I32LE;
  else {
    static_assert(std::is_same_v<T, std::uint8_t>, "unsupported element type");
    return H5T_STD_U8LE;
  }
}

/// HDF5 memory and file types of a state column type.
std::pair<hid_t, hid_t> types_of(sim::DType dtype) {
  switch (dtype) {
    case sim::DType::kFloat64:
      return {mem_type_of<double>(), file_type_of<double>()};
    case sim::DType::kFloat32:
      return {mem_type_of<float>(), file_type_of<float>()};
    case sim::DType::kInt64:
      return {mem_type_of<std::int64_t>(), file_type_of<std::int64_t>()};
    case sim::DType::kInt32:
      return {mem_type_of<std::int32_t>(), file_type_of<std::int32_t>()};
    case sim::DType::kUInt8:
      return {mem_type_of<std::uint8_t>(), file_type_of<std::uint8_t>()};
  }
  throw std::invalid_argument("unknown column dtype");
}

/// Element size in bytes of a state column type.
std::size_t element_size(sim::DType dtype) {
  switch (dtype) {
    case sim::DType::kFloat64:
    case sim::DType::kInt64:
      return 8;
    case sim::DType::kFloat32:
    case sim::DType::kInt32:
      return 4;
    case sim::DType::kUInt8:
      return 1;
  }
  throw std::invalid_argument("unknown column dtype");
}

/// Converts a non-negative count to hsize_t.
hsize_t hs(std::int64_t n) { return static_cast<hsize_t>(n); }

/// Creation properties tracking link and attribute order, as netCDF-4 requires to write a file.
Hid ordered_group_plist() {
  Hid gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate(group)");
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  expect_ok(H5Pset_link_creation_order(gcpl.get(), order), "H5Pset_link_creation_order");
  expect_ok(H5Pset_attr_creation_order(gcpl.get(), order), "H5Pset_attr_creation_order");
  return gcpl;
}

/// Creates a child group with tracked creation order.
Hid create_group(hid_t parent, const std::string& name) {
  const Hid gcpl = ordered_group_plist();
  return Hid(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
             "creating group '" + name + "'");
}

/// Writes a scalar UTF-8 string attribute as fixed-length, null-terminated text (netCDF NC_CHAR).
void write_string_attr(hid_t object, const char* name, std::string_view value) {
  // the stored size is the text length, at least one byte (HDF5 has no empty fixed strings)
  const std::size_t size = std::max<std::size_t>(value.size(), 1);
  const Hid type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  expect_ok(H5Tset_size(type.get(), size), "H5Tset_size");
  expect_ok(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "H5Tset_strpad");
  expect_ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  std::string padded(value);
  padded.resize(size, '\0');

  // scalar attribute
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  const Hid attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Aclose, std::string("creating attribute '") + name + "'");
  expect_ok(H5Awrite(attr.get(), type.get(), padded.data()),
            std::string("writing attribute '") + name + "'");
}

/// Writes a scalar numeric attribute.
template <typename T>
void write_scalar_attr(hid_t object, const char* name, T value) {
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  const Hid attr(H5Acreate2(object, name, file_type_of<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Aclose, std::string("creating attribute '") + name + "'");
  expect_ok(H5Awrite(attr.get(), mem_type_of<T>(), &value),
            std::string("writing attribute '") + name + "'");
}

/// Writes the seed: a scalar unsigned 64-bit attribute (netCDF NC_UINT64).
void write_uint64_attr(hid_t object, const char* name, std::uint64_t value) {
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  const Hid attr(H5Acreate2(object, name, H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Aclose, std::string("creating attribute '") + name + "'");
  expect_ok(H5Awrite(attr.get(), H5T_NATIVE_UINT64, &value),
            std::string("writing attribute '") + name + "'");
}

/// Writes a one-dimensional numeric attribute (CF flag_values).
template <typename T>
void write_array_attr(hid_t object, const char* name, std::span<const T> values) {
  const hsize_t dims[1] = {values.size()};
  const Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple");
  const Hid attr(H5Acreate2(object, name, file_type_of<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Aclose, std::string("creating attribute '") + name + "'");
  expect_ok(H5Awrite(attr.get(), mem_type_of<T>(), values.data()),
            std::string("writing attribute '") + name + "'");
}

/// Writes `units` and `long_name`, which every variable carries.
void write_units(hid_t object, std::string_view units, std::string_view long_name) {
  write_string_attr(object, "units", units);
  write_string_attr(object, "long_name", long_name);
}

/// Writes CF flag_values 0..n-1 and flag_meanings (names joined by spaces, spaces inside a name
/// replaced by underscores) of an enumeration stored as uint8.
void write_flags(hid_t object, const std::vector<std::string>& names) {
  std::vector<std::uint8_t> values;
  std::string meanings;
  for (std::size_t i = 0; i < names.size(); ++i) {
    values.push_back(static_cast<std::uint8_t>(i));
    std::string word = names[i];
    std::replace(word.begin(), word.end(), ' ', '_');
    if (!meanings.empty()) meanings += ' ';
    meanings += word;
  }
  write_array_attr<std::uint8_t>(object, "flag_values", values);
  write_string_attr(object, "flag_meanings", meanings);
}

/// Dataset creation properties: tracked attribute order (as netCDF-4 writes), and chunking with
/// shuffle + deflate at `compression` when `chunk` is not empty.
Hid dataset_plist(const std::vector<hsize_t>& chunk, int compression) {
  Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate(dataset)");
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  expect_ok(H5Pset_attr_creation_order(dcpl.get(), order), "H5Pset_attr_creation_order");
  if (!chunk.empty()) {
    expect_ok(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
              "H5Pset_chunk");
    if (compression > 0) {
      expect_ok(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
      expect_ok(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(compression)), "H5Pset_deflate");
    }
  }
  return dcpl;
}

/// Chunk of a fixed-size array of `shape` with elements of `element_bytes`: whole trailing rows
/// while one chunk stays within the budget. Empty (contiguous layout) when nothing is to be
/// compressed or the array is empty.
std::vector<hsize_t> fixed_chunk(const std::vector<hsize_t>& shape, std::size_t element_bytes,
                                 int compression) {
  const bool empty = std::any_of(shape.begin(), shape.end(), [](hsize_t n) { return n == 0; });
  if (compression == 0 || shape.empty() || empty) return {};
  std::vector<hsize_t> chunk(shape.size(), 1);
  hsize_t budget = std::max<hsize_t>(kChunkBudgetBytes / element_bytes, 1);
  // fill the chunk from the last (fastest) dimension outwards
  for (std::size_t k = shape.size(); k-- > 0;) {
    chunk[k] = std::max<hsize_t>(std::min(shape[k], budget), 1);
    budget = std::max<hsize_t>(budget / chunk[k], 1);
  }
  return chunk;
}

/// Creates a fixed-size dataset of `shape` and writes `data` (row-major) with one H5Dwrite;
/// `data` == nullptr leaves it at the fill value 0 (no chunk is written or compressed).
Hid create_filled(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
                  hid_t mem_type, hid_t file_type, const void* data, int compression) {
  const std::size_t element_bytes = H5Tget_size(file_type);
  const Hid dcpl = dataset_plist(fixed_chunk(shape, element_bytes, compression), compression);
  const Hid space(shape.empty()
                      ? H5Screate(H5S_SCALAR)
                      : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                  H5Sclose, "creating the dataspace of '" + name + "'");
  Hid dataset(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                         H5P_DEFAULT),
              H5Dclose, "creating dataset '" + name + "'");
  const bool empty = std::any_of(shape.begin(), shape.end(), [](hsize_t n) { return n == 0; });
  if (!empty && data != nullptr) {
    expect_ok(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
              "writing dataset '" + name + "'");
  }
  return dataset;
}

/// A netCDF-4 group being built: its dimensions (name, length and scale dataset) and variables.
class NcGroup {
 public:
  explicit NcGroup(hid_t group, int compression) : group_(group), compression_(compression) {}

  /// Adds a dimension with a coordinate variable of the same name holding `values`.
  template <typename T>
  void coordinate(const std::string& name, std::span<const T> values, std::string_view units,
                  std::string_view long_name) {
    const std::vector<hsize_t> shape{values.size()};
    Hid scale = create_filled(group_, name, shape, mem_type_of<T>(), file_type_of<T>(),
                              values.data(), compression_);
    expect_ok(H5DSset_scale(scale.get(), name.c_str()), "H5DSset_scale('" + name + "')");
    write_units(scale.get(), units, long_name);
    dims_.push_back(Dim{name, values.size(), std::move(scale)});
  }

  /// Adds a dimension without a variable (netCDF-4's NAME convention, no data written).
  void bare_dimension(const std::string& name, std::size_t length) {
    const hsize_t dims[1] = {length};
    const Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple");
    const Hid dcpl = dataset_plist({}, 0);
    Hid scale(H5Dcreate2(group_, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(),
                         H5P_DEFAULT),
              H5Dclose, "creating dimension '" + name + "'");
    char scale_name[96];
    std::snprintf(scale_name, sizeof scale_name, "%s%10d", kDimWithoutVariable,
                  static_cast<int>(std::min<std::size_t>(length, std::numeric_limits<int>::max())));
    expect_ok(H5DSset_scale(scale.get(), scale_name), "H5DSset_scale('" + name + "')");
    dims_.push_back(Dim{name, length, std::move(scale)});
  }

  /// Adds a variable over the named dimensions (none = scalar) holding `values` (row-major),
  /// attaches the dimension scales and writes units and long_name. Returns the dataset.
  template <typename T>
  Hid variable(const std::string& name, const std::vector<std::string>& dims,
               std::span<const T> values, std::string_view units, std::string_view long_name) {
    // shape from the dimensions, checked against the data
    std::vector<hsize_t> shape;
    std::size_t n_values = 1;
    for (const std::string& dim : dims) {
      shape.push_back(find(dim).length);
      n_values *= find(dim).length;
    }
    if (n_values != values.size()) {
      throw std::invalid_argument("variable '" + name + "' has " + std::to_string(values.size()) +
                                  " values for " + std::to_string(n_values) + " elements");
    }
    Hid dataset = create_filled(group_, name, shape, mem_type_of<T>(), file_type_of<T>(),
                                values.data(), compression_);
    attach(dataset.get(), name, dims);
    write_units(dataset.get(), units, long_name);
    return dataset;
  }

  /// Adds a variable of UTF-8 strings (netCDF NC_STRING) over one dimension.
  Hid string_variable(const std::string& name, const std::string& dim,
                      const std::vector<std::string>& values, std::string_view units,
                      std::string_view long_name) {
    const Hid type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    expect_ok(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
    expect_ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
    std::vector<const char*> pointers;
    for (const std::string& value : values) pointers.push_back(value.c_str());
    Hid dataset =
        create_filled(group_, name, {values.size()}, type.get(), type.get(), pointers.data(), 0);
    attach(dataset.get(), name, {dim});
    write_units(dataset.get(), units, long_name);
    return dataset;
  }

  /// Attaches the scales of `dims` to dimensions 0.. of `dataset`.
  void attach(hid_t dataset, const std::string& name, const std::vector<std::string>& dims) {
    for (std::size_t k = 0; k < dims.size(); ++k) {
      expect_ok(H5DSattach_scale(dataset, find(dims[k]).scale.get(), static_cast<unsigned>(k)),
                "attaching dimension '" + dims[k] + "' to '" + name + "'");
    }
  }

  [[nodiscard]] hid_t id() const { return group_; }

 private:
  struct Dim {
    std::string name;
    std::size_t length = 0;
    Hid scale;
  };
  const Dim& find(const std::string& name) const {
    for (const Dim& dim : dims_) {
      if (dim.name == name) return dim;
    }
    throw std::invalid_argument("unknown dimension '" + name + "'");
  }

  hid_t group_;
  int compression_;
  std::vector<Dim> dims_;
};

/// Narrows a count to int32 for CF count variables.
std::int32_t count32(std::int64_t n) {
  if (n < 0 || n > std::numeric_limits<std::int32_t>::max()) {
    throw std::invalid_argument("count out of int32 range: " + std::to_string(n));
  }
  return static_cast<std::int32_t>(n);
}

/// Converts an enumeration column to its uint8 values.
template <typename Enum>
std::vector<std::uint8_t> enum_values(const std::vector<Enum>& values) {
  std::vector<std::uint8_t> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(),
                 [](Enum value) { return static_cast<std::uint8_t>(value); });
  return out;
}

/// A read-only span over a vector (the element type is deduced).
template <typename T>
std::span<const T> view(const std::vector<T>& values) {
  return {values.data(), values.size()};
}

}  // namespace

struct ResultWriter::Impl {
  /// One output column of a model: its dataset and the rows buffered since the last flush.
  struct OutputVariable {
    sim::ColumnId column = -1;
    std::string name;
    hid_t mem_type = H5I_INVALID_HID;
    std::int64_t n_entities = 0;    // entities along the column dimension
    std::size_t row_bytes = 0;      // [B] one output step
    std::vector<std::byte> buffer;  // flush_every rows (one row for a snapshot)
    bool snapshot = false;          // an (entity) variable rewritten at each flush
    // a snapshot: its buffer holds values not yet written (set by append() when the column
    // changed, or at the first append)
    bool dirty = false;
    bool buffered = false;  // append() filled the buffer at least once
    std::size_t element_bytes = 0;  // [B]
    // chunk shape: rows (1 for a snapshot) x entities; 0 entities: not packed by the writer
    // (no compression, or no chunked layout)
    hsize_t chunk_rows = 1;
    hsize_t chunk_entities = 0;
    Hid dataset;
  };

  /// A chunk of an output variable packed by the writer itself: the bytes HDF5's shuffle and
  /// deflate filters would store, for H5Dwrite_chunk. Packing the chunks of a flush runs on all
  /// threads (HDF5's own filter pipeline runs on one); writing them stays serial, in a fixed order.
  struct PackedChunk {
    const OutputVariable* var = nullptr;
    std::string name;                      // "<model>/<variable>", for errors
    std::array<hsize_t, 2> offset{};       // first element: (entity) or (row, entity)
    const std::byte* first_row = nullptr;  // the chunk's first row in the buffer, at entity 0
    std::int64_t n_rows = 0;               // rows of the chunk held by the buffer (the rest is 0)
    std::uint32_t filter_mask = 0;    // filters skipped (bit 1: deflate, when it does not shrink)
    std::vector<std::uint8_t> bytes;  // the packed chunk
  };

  /// A thread's buffers for pack_chunk(), reused from chunk to chunk.
  struct PackScratch {
    std::vector<std::uint8_t> raw;       // the chunk's elements
    std::vector<std::uint8_t> shuffled;  // byte-shuffled
    std::vector<std::uint8_t> deflated;  // the zlib stream, compressBound() bytes
  };

  /// Packs `chunk` at deflate level `compression` as the dataset's filters would: the chunk's
  /// elements (edge chunks padded with the fill value 0), byte-shuffled (HDF5's shuffle: byte j of
  /// element i goes to j x n + i; nothing moves for 1-byte elements or a single element), then
  /// deflated into a zlib stream by compress2() (libdeflate's in the citytwin program). A chunk
  /// that deflate does not shrink is stored shuffled only, with the deflate bit of its filter mask
  /// set, as HDF5 does when its optional deflate filter fails. chunk.bytes gets the exact size.
  static void pack_chunk(PackedChunk& chunk, int compression, PackScratch& scratch) {
    const OutputVariable& var = *chunk.var;
    const std::size_t es = var.element_bytes;
    const auto n = static_cast<std::size_t>(var.chunk_rows * var.chunk_entities);
    const std::size_t chunk_bytes = n * es;
    std::vector<std::uint8_t>& raw = scratch.raw;
    raw.assign(chunk_bytes, 0);
    const auto first_entity = static_cast<std::int64_t>(chunk.offset[var.snapshot ? 0 : 1]);
    const std::size_t valid_bytes =
        static_cast<std::size_t>(std::min<std::int64_t>(
            static_cast<std::int64_t>(var.chunk_entities), var.n_entities - first_entity)) *
        es;
    for (std::int64_t r = 0; r < chunk.n_rows; ++r) {
      const std::byte* source = chunk.first_row + static_cast<std::size_t>(r) * var.row_bytes +
                                static_cast<std::size_t>(first_entity) * es;
      std::memcpy(raw.data() + static_cast<std::size_t>(r) * var.chunk_entities * es, source,
                  valid_bytes);
    }
    std::vector<std::uint8_t>& shuffled = scratch.shuffled;
    shuffled.resize(chunk_bytes);
    if (es > 1 && n > 1) {
      for (std::size_t j = 0; j < es; ++j) {
        std::uint8_t* out = shuffled.data() + j * n;
        const std::uint8_t* in = raw.data() + j;
        for (std::size_t i = 0; i < n; ++i) out[i] = in[i * es];
      }
    } else {
      std::memcpy(shuffled.data(), raw.data(), chunk_bytes);
    }
    scratch.deflated.resize(compressBound(static_cast<uLong>(chunk_bytes)));
    auto packed_bytes = static_cast<uLongf>(scratch.deflated.size());
    const int status = compress2(scratch.deflated.data(), &packed_bytes, shuffled.data(),
                                 static_cast<uLong>(chunk_bytes), compression);
    if (status == Z_OK && packed_bytes < chunk_bytes) {
      chunk.bytes.assign(scratch.deflated.begin(),
                         scratch.deflated.begin() + static_cast<std::ptrdiff_t>(packed_bytes));
      chunk.filter_mask = 0;
    } else {
      chunk.bytes = shuffled;
      chunk.filter_mask = 1U << 1;  // the pipeline is shuffle (0), deflate (1)
    }
  }

  /// The results group of one model.
  struct ModelGroup {
    std::string model;
    Hid group;
    Hid time;  // time coordinate [s since the run start]
    Hid tick;  // engine tick of each output step
    std::vector<Hid> coordinates;
    std::vector<OutputVariable> variables;
  };

  std::filesystem::path partial;
  std::filesystem::path final_path;
  WriterOptions options;
  std::int64_t start_utc_s = 0;
  Hid file;
  std::vector<ModelGroup> groups;
  std::vector<double> time_s;       // [s] buffered time coordinate values (exact below 2^53 s)
  std::vector<std::int64_t> ticks;  // buffered ticks
  std::int64_t n_buffered = 0;
  std::int64_t n_written = 0;
  std::int64_t n_flushes = 0;
  std::int64_t bytes_written = 0;  // [B]
  std::int64_t last_tick = std::numeric_limits<std::int64_t>::min();
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
  bool city_written = false;
  bool closed = false;

  /// [1] rows of a time chunk: `rows`, at most the expected output steps when known
  [[nodiscard]] std::int64_t chunk_rows(std::int64_t rows) const {
    return options.expected_rows > 0 ? std::min(rows, options.expected_rows) : rows;
  }

  void create(const ResultMetadata& metadata, const sim::StateLayout& layout);
  void write_root_attributes(const ResultMetadata& metadata);
  void create_model_group(const std::string& model, const sim::StateLayout& layout);
  void write_city(const sim::City& city);
  void flush();
  void close(bool success);
};

void ResultWriter::Impl::create(const ResultMetadata& metadata, const sim::StateLayout& layout) {
  // file with tracked creation order and the 1.8 format (dense attributes, no SWMR flags)
  Hid fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "H5Pcreate(file)");
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  expect_ok(H5Pset_link_creation_order(fcpl.get(), order), "H5Pset_link_creation_order");
  expect_ok(H5Pset_attr_creation_order(fcpl.get(), order), "H5Pset_attr_creation_order");
  const Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(access)");
  expect_ok(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18),
            "H5Pset_libver_bounds");
  file = Hid(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose,
             "creating the file");
  write_root_attributes(metadata);

  // /run holds the time and tick of every output step, whatever models run; then one group
  // per model with output columns, in declaration order
  std::vector<std::string> models{"run"};
  for (const sim::ColumnSpec& spec : layout.specs()) {
    if (spec.model == "run") {
      throw std::invalid_argument("model name 'run' is reserved for the /run results group");
    }
    if (spec.output != sim::Output::kNone &&
        std::find(models.begin(), models.end(), spec.model) == models.end()) {
      models.push_back(spec.model);
    }
  }
  for (const std::string& model : models) create_model_group(model, layout);

  // buffers for flush_every rows, allocated once
  time_s.resize(static_cast<std::size_t>(options.flush_every));
  ticks.resize(static_cast<std::size_t>(options.flush_every));
  expect_ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush");
  last_flush = std::chrono::steady_clock::now();
}

void ResultWriter::Impl::write_root_attributes(const ResultMetadata& metadata) {
  const hid_t root = file.get();
  write_string_attr(root, "Conventions", "CF-1.8");
  write_string_attr(root, "citytwin_version", citytwin::kVersion);
  write_string_attr(root, "git_describe", citytwin::kGitDescribe);
  write_string_attr(root, "scenario_path", metadata.scenario_path);
  write_string_attr(root, "scenario_sha256", metadata.scenario_sha256);
  write_uint64_attr(root, "seed", metadata.seed);
  write_scalar_attr<std::int32_t>(root, "dt_s", metadata.dt_s);
  write_scalar_attr<std::int64_t>(root, "n_ticks", metadata.n_ticks);
  write_scalar_attr<std::int32_t>(root, "threads", metadata.threads);
  write_string_attr(root, "start_time", sim::Clock::iso_utc(metadata.start_utc_s));
  write_string_attr(root, "time_zone", metadata.time_zone);
  write_string_attr(root, "scenario", metadata.scenario_text);
}

void ResultWriter::Impl::create_model_group(const std::string& model,
                                            const sim::StateLayout& layout) {
  if (model == "city" || model == "kpi" || model.empty() || model.find('/') != std::string::npos) {
    throw std::invalid_argument("model name '" + model + "' cannot name a results group");
  }
  ModelGroup out;
  out.model = model;
  out.group = create_group(file.get(), model);
  const hid_t group = out.group.get();

  // time coordinate and tick: unlimited, chunked
  const hsize_t zero[1] = {0};
  const hsize_t unlimited[1] = {H5S_UNLIMITED};
  const hsize_t time_chunk[1] = {hs(chunk_rows(std::max(options.flush_every, kTimeCoordinateChunk)))};
  const Hid time_space(H5Screate_simple(1, zero, unlimited), H5Sclose, "H5Screate_simple");
  const Hid time_dcpl = dataset_plist({time_chunk[0]}, options.compression);
  out.time = Hid(H5Dcreate2(group, "time", H5T_IEEE_F64LE, time_space.get(), H5P_DEFAULT,
                            time_dcpl.get(), H5P_DEFAULT),
                 H5Dclose, "creating " + model + "/time");
  expect_ok(H5DSset_scale(out.time.get(), "time"), "H5DSset_scale(time)");
  out.tick = Hid(H5Dcreate2(group, "tick", H5T_STD_I64LE, time_space.get(), H5P_DEFAULT,
                            time_dcpl.get(), H5P_DEFAULT),
                 H5Dclose, "creating " + model + "/tick");
  expect_ok(H5DSattach_scale(out.tick.get(), out.time.get(), 0), "attaching time to tick");

  // entity coordinates holding the stable ids, one per dimension the model's columns use
  std::vector<std::pair<std::string, hid_t>> scales;
  const auto scale_of = [&](const sim::ColumnSpec& spec) -> hid_t {
    for (const auto& [name, id] : scales) {
      if (name == spec.dim) return id;
    }
    const sim::DimSpec* dim = layout.find_dim(model, spec.dim);
    if (dim == nullptr) {
      throw std::invalid_argument("column '" + spec.qualified_name() +
                                  "' uses undeclared dimension '" + spec.dim + "'");
    }
    Hid coordinate = create_filled(group, spec.dim, {dim->ids.size()}, H5T_NATIVE_INT64,
                                   H5T_STD_I64LE, dim->ids.data(), options.compression);
    expect_ok(H5DSset_scale(coordinate.get(), spec.dim.c_str()), "H5DSset_scale");
    write_units(coordinate.get(), "1", dim->long_name.empty() ? spec.dim + " id" : dim->long_name);
    scales.emplace_back(spec.dim, coordinate.get());
    out.coordinates.push_back(std::move(coordinate));
    return scales.back().second;
  };

  // one (time, entity) variable per output column
  for (sim::ColumnId id = 0; id < layout.n_columns(); ++id) {
    const sim::ColumnSpec& spec = layout.spec(id);
    if (spec.model != model || spec.output == sim::Output::kNone) continue;
    if (spec.name == "time" || spec.name == "tick" || spec.name == spec.dim ||
        spec.name.find('/') != std::string::npos) {
      throw std::invalid_argument("column '" + spec.qualified_name() +
                                  "' clashes with a coordinate name of its results group");
    }
    OutputVariable var;
    var.column = id;
    var.name = spec.name;
    var.n_entities = spec.size;
    const auto [mem_type, file_type] = types_of(spec.dtype);
    var.mem_type = mem_type;
    const std::size_t element_bytes = element_size(spec.dtype);
    var.row_bytes = static_cast<std::size_t>(var.n_entities) * element_bytes;
    var.snapshot = spec.output == sim::Output::kSnapshot;
    var.buffer.resize(var.row_bytes * (var.snapshot ? 1 : static_cast<std::size_t>(options.flush_every)));

    // entity dimension: its coordinate must match the column length
    const hid_t entity_scale = scale_of(spec);
    const Hid entity_space(H5Dget_space(entity_scale), H5Sclose, "H5Dget_space");
    const hssize_t n_ids = H5Sget_simple_extent_npoints(entity_space.get());
    if (n_ids != var.n_entities) {
      throw std::invalid_argument("column '" + spec.qualified_name() + "' has " +
                                  std::to_string(var.n_entities) + " entities but dimension '" +
                                  spec.dim + "' has " + std::to_string(n_ids));
    }

    // a snapshot: one (entity) variable, rewritten whole at every flush where it changed; zero
    // until the first flush
    var.element_bytes = element_bytes;
    if (var.snapshot) {
      var.dataset = create_filled(group, spec.name, {hs(var.n_entities)}, mem_type, file_type,
                                  nullptr, options.compression);
      const std::vector<hsize_t> chunk =
          fixed_chunk({hs(var.n_entities)}, element_bytes, options.compression);
      if (!chunk.empty()) var.chunk_entities = chunk[0];
      expect_ok(H5DSattach_scale(var.dataset.get(), entity_scale, 0),
                "attaching " + spec.dim + " to " + spec.qualified_name());
      write_units(var.dataset.get(), spec.units, spec.long_name);
      out.variables.push_back(std::move(var));
      continue;
    }

    // chunk: flush_every rows (capped by the budget) by as many entities as fit in the budget
    const std::size_t max_rows = std::max<std::size_t>(kChunkBudgetBytes / element_bytes, 1);
    const hsize_t rows = std::min<hsize_t>(hs(chunk_rows(options.flush_every)), max_rows);
    const hsize_t entities = std::clamp<hsize_t>(kChunkBudgetBytes / (rows * element_bytes), 1,
                                                 std::max<hsize_t>(hs(var.n_entities), 1));
    const hsize_t dims[2] = {0, hs(var.n_entities)};
    // an empty dimension keeps a maximum of 1 so that the chunk fits inside it
    const hsize_t max_dims[2] = {H5S_UNLIMITED, std::max<hsize_t>(hs(var.n_entities), 1)};
    const Hid space(H5Screate_simple(2, dims, max_dims), H5Sclose, "H5Screate_simple");
    const Hid dcpl = dataset_plist({rows, entities}, options.compression);

    // chunk cache holding one row of chunks, written chunks evicted first
    const std::size_t chunk_bytes = rows * entities * element_bytes;
    const std::size_t chunks_per_row =
        (static_cast<std::size_t>(var.n_entities) + entities - 1) / entities;
    const Hid dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "H5Pcreate(access)");
    expect_ok(
        H5Pset_chunk_cache(dapl.get(), std::max<std::size_t>(chunks_per_row * 10 + 1, 521),
                           std::max(chunk_bytes * (chunks_per_row + 1), kChunkBudgetBytes), 1.0),
        "H5Pset_chunk_cache");
    var.dataset = Hid(H5Dcreate2(group, spec.name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                 dcpl.get(), dapl.get()),
                      H5Dclose, "creating " + spec.qualified_name());
    if (options.compression > 0) {
      var.chunk_rows = rows;
      var.chunk_entities = entities;
    }
    expect_ok(H5DSattach_scale(var.dataset.get(), out.time.get(), 0),
              "attaching time to " + spec.qualified_name());
    expect_ok(H5DSattach_scale(var.dataset.get(), entity_scale, 1),
              "attaching " + spec.dim + " to " + spec.qualified_name());
    write_units(var.dataset.get(), spec.units, spec.long_name);
    out.variables.push_back(std::move(var));
  }

  // CF time attributes, written after the attachments keep the scale's attributes compact
  write_string_attr(out.time.get(), "units", "seconds since " + sim::Clock::iso_utc(start_utc_s));
  write_string_attr(out.time.get(), "calendar", "standard");
  write_string_attr(out.time.get(), "standard_name", "time");
  write_string_attr(out.time.get(), "long_name", "time of the output step (UTC)");
  write_string_attr(out.time.get(), "axis", "T");
  write_units(out.tick.get(), "1", "engine tick of the output step");
  groups.push_back(std::move(out));
}

void ResultWriter::Impl::write_city(const sim::City& city) {
  if (city_written) throw std::logic_error("ResultWriter::write_city called twice");
  city.check_consistency();
  const Hid group = create_group(file.get(), "city");
  const int level = options.compression;
  NcGroup nc(group.get(), level);
  const sim::Buildings& b = city.buildings;
  const sim::Surfaces& s = city.surfaces;
  const sim::Streets& st = city.streets;
  const sim::Zones& z = city.zones;
  const sim::Blocks& bl = city.blocks;
  const sim::Terrain& t = city.terrain;

  // group attributes
  write_string_attr(group.get(), "name", city.name);
  write_string_attr(group.get(), "crs", city.crs);
  write_scalar_attr<double>(group.get(), "origin_lat_deg", city.origin_lat_deg);
  write_scalar_attr<double>(group.get(), "origin_lon_deg", city.origin_lon_deg);

  // footprints as CF-1.8 polygons with holes: counts per building and per ring
  const std::size_t n_buildings = b.building_id.size();
  const std::size_t n_rings = b.vertex_begin.size() - 1;
  std::vector<std::int32_t> node_count(n_buildings);
  std::vector<std::int32_t> part_node_count(n_rings);
  std::vector<std::int32_t> interior_ring(n_rings);
  for (std::size_t i = 0; i < n_buildings; ++i) {
    const auto first_ring = static_cast<std::size_t>(b.ring_begin[i]);
    const auto end_ring = static_cast<std::size_t>(b.ring_begin[i + 1]);
    node_count[i] = count32(b.vertex_begin[end_ring] - b.vertex_begin[first_ring]);
    for (std::size_t r = first_ring; r < end_ring; ++r) {
      part_node_count[r] = count32(b.vertex_begin[r + 1] - b.vertex_begin[r]);
      interior_ring[r] = r == first_ring ? 0 : 1;
    }
  }

  // dimensions
  nc.coordinate<std::int64_t>("building", view(b.building_id), "1", "building id");
  nc.bare_dimension("footprint_part", n_rings);
  nc.bare_dimension("footprint_node", b.vertex_x_m.size());
  nc.coordinate<std::int64_t>("surface", view(s.surface_id), "1", "surface id");
  nc.bare_dimension("surface_part", s.vertex_begin.size() - 1);
  nc.bare_dimension("surface_node", s.vertex_x_m.size());
  nc.coordinate<std::int64_t>("node", view(st.node_id), "1", "street network node id");
  nc.coordinate<std::int64_t>("street", view(st.street_id), "1", "street segment id");
  nc.bare_dimension("block", bl.min_x_m.size());
  nc.coordinate<std::int64_t>("zone", view(z.zone_id), "1", "zone id");
  const auto ny = static_cast<std::size_t>(std::max(t.ny, 0));
  const auto nx = static_cast<std::size_t>(std::max(t.nx, 0));
  std::vector<double> terrain_y(ny);
  std::vector<double> terrain_x(nx);
  for (std::size_t j = 0; j < ny; ++j)
    terrain_y[j] = t.origin_y_m + t.cell_m * static_cast<double>(j);
  for (std::size_t i = 0; i < nx; ++i)
    terrain_x[i] = t.origin_x_m + t.cell_m * static_cast<double>(i);
  nc.coordinate<double>("terrain_y", view(terrain_y), "m", "projected y of terrain grid rows");
  nc.coordinate<double>("terrain_x", view(terrain_x), "m", "projected x of terrain grid columns");

  // geometry container of the footprints
  const std::int32_t container_value = 0;
  const Hid footprint =
      nc.variable<std::int32_t>("footprint", {}, std::span<const std::int32_t>(&container_value, 1),
                                "1", "building footprint polygons");
  write_string_attr(footprint.get(), "geometry_type", "polygon");
  write_string_attr(footprint.get(), "node_count", "footprint_node_count");
  write_string_attr(footprint.get(), "part_node_count", "footprint_part_node_count");
  write_string_attr(footprint.get(), "interior_ring", "footprint_interior_ring");
  write_string_attr(footprint.get(), "node_coordinates", "footprint_x_m footprint_y_m");
  nc.variable<std::int32_t>("footprint_node_count", {"building"}, view(node_count), "1",
                            "footprint nodes of each building, all rings");
  nc.variable<std::int32_t>("footprint_part_node_count", {"footprint_part"}, view(part_node_count),
                            "1", "nodes of each footprint ring");
  nc.variable<std::int32_t>("footprint_interior_ring", {"footprint_part"}, view(interior_ring), "1",
                            "1 when the ring is a hole, 0 when outer");
  const Hid fx = nc.variable<double>("footprint_x_m", {"footprint_node"}, view(b.vertex_x_m), "m",
                                     "projected x of footprint nodes");
  write_string_attr(fx.get(), "axis", "X");
  write_string_attr(fx.get(), "standard_name", "projection_x_coordinate");
  const Hid fy = nc.variable<double>("footprint_y_m", {"footprint_node"}, view(b.vertex_y_m), "m",
                                     "projected y of footprint nodes");
  write_string_attr(fy.get(), "axis", "Y");
  write_string_attr(fy.get(), "standard_name", "projection_y_coordinate");

  // buildings: every variable over `building` refers to the footprint geometry
  const std::vector<std::string> on_building{"building"};
  const auto building_var = [&](const std::string& name, auto values, std::string_view units,
                                std::string_view long_name) {
    using T = typename decltype(values)::value_type;
    Hid dataset = nc.variable<std::remove_cv_t<T>>(name, on_building, values, units, long_name);
    write_string_attr(dataset.get(), "geometry", "footprint");
    return dataset;
  };
  building_var("building_id", view(b.building_id), "1",
               "stable building id (the values of the building coordinate)");
  building_var("height_m", view(b.height_m), "m", "height from ground to the highest roof point");
  building_var("eaves_height_m", view(b.eaves_height_m), "m", "height from ground to the eaves");
  building_var("ground_elevation_m", view(b.ground_elevation_m), "m",
               "terrain elevation at the footprint centroid");
  building_var("footprint_area_m2", view(b.footprint_area_m2), "m2",
               "footprint area, outer ring minus holes");
  building_var("floor_area_m2", view(b.floor_area_m2), "m2", "gross floor area of all storeys");
  building_var("n_floors", view(b.n_floors), "1", "storeys above ground");
  building_var("residents", view(b.residents), "1", "people living in the building");
  building_var("jobs", view(b.jobs), "1", "workplaces in the building");
  const std::vector<std::uint8_t> use = enum_values(b.use);
  write_flags(building_var("use", view(use), "1", "main use of the building").get(),
              sim::building_use_names());
  const std::vector<std::uint8_t> roof = enum_values(b.roof_shape);
  write_flags(building_var("roof_shape", view(roof), "1", "roof geometry").get(),
              sim::roof_shape_names());
  building_var("roof_pitch_deg", view(b.roof_pitch_deg), "degree", "roof slope, 0 for flat");
  building_var("centroid_x_m", view(b.centroid_x_m), "m", "projected x of the footprint centroid");
  building_var("centroid_y_m", view(b.centroid_y_m), "m", "projected y of the footprint centroid");
  building_var("block_idx", view(b.block_idx), "1", "index of the block (0-based, -1 = none)");
  building_var("zone_idx", view(b.zone_idx), "1", "index of the zone (0-based, -1 = none)");

  // surfaces: 3D polygons with holes, counts per surface and per ring, own geometry container
  const std::size_t n_surface_rings = s.vertex_begin.size() - 1;
  std::vector<std::int32_t> surface_node_count(s.surface_id.size());
  std::vector<std::int32_t> surface_part_node_count(n_surface_rings);
  std::vector<std::int32_t> surface_interior_ring(n_surface_rings);
  for (std::size_t i = 0; i < surface_node_count.size(); ++i) {
    const auto first_ring = static_cast<std::size_t>(s.ring_begin[i]);
    const auto end_ring = static_cast<std::size_t>(s.ring_begin[i + 1]);
    surface_node_count[i] = count32(s.vertex_begin[end_ring] - s.vertex_begin[first_ring]);
    for (std::size_t r = first_ring; r < end_ring; ++r) {
      surface_part_node_count[r] = count32(s.vertex_begin[r + 1] - s.vertex_begin[r]);
      surface_interior_ring[r] = r == first_ring ? 0 : 1;
    }
  }
  const Hid surface_polygon = nc.variable<std::int32_t>(
      "surface_polygon", {}, std::span<const std::int32_t>(&container_value, 1), "1",
      "building surface polygons (3D)");
  write_string_attr(surface_polygon.get(), "geometry_type", "polygon");
  write_string_attr(surface_polygon.get(), "node_count", "surface_node_count");
  write_string_attr(surface_polygon.get(), "part_node_count", "surface_part_node_count");
  write_string_attr(surface_polygon.get(), "interior_ring", "surface_interior_ring");
  write_string_attr(surface_polygon.get(), "node_coordinates",
                    "surface_x_m surface_y_m surface_z_m");
  nc.variable<std::int32_t>("surface_node_count", {"surface"}, view(surface_node_count), "1",
                            "nodes of each surface polygon, all rings");
  nc.variable<std::int32_t>("surface_part_node_count", {"surface_part"},
                            view(surface_part_node_count), "1", "nodes of each surface ring");
  nc.variable<std::int32_t>("surface_interior_ring", {"surface_part"},
                            view(surface_interior_ring), "1",
                            "1 when the ring is a hole, 0 when outer");
  const Hid sx = nc.variable<double>("surface_x_m", {"surface_node"}, view(s.vertex_x_m), "m",
                                     "projected x of surface nodes");
  write_string_attr(sx.get(), "axis", "X");
  const Hid sy = nc.variable<double>("surface_y_m", {"surface_node"}, view(s.vertex_y_m), "m",
                                     "projected y of surface nodes");
  write_string_attr(sy.get(), "axis", "Y");
  const Hid sz = nc.variable<double>("surface_z_m", {"surface_node"}, view(s.vertex_z_m), "m",
                                     "elevation of surface nodes above the vertical datum");
  write_string_attr(sz.get(), "axis", "Z");
  const std::vector<std::string> on_surface{"surface"};
  const auto surface_var = [&](const std::string& name, auto values, std::string_view units,
                               std::string_view long_name) {
    using T = typename decltype(values)::value_type;
    Hid dataset = nc.variable<std::remove_cv_t<T>>(name, on_surface, values, units, long_name);
    write_string_attr(dataset.get(), "geometry", "surface_polygon");
    return dataset;
  };
  surface_var("surface_id", view(s.surface_id), "1",
              "stable surface id (the values of the surface coordinate)");
  surface_var("surface_building_idx", view(s.building_idx), "1",
              "index of the building owning the surface (0-based)");
  const std::vector<std::uint8_t> surface_type = enum_values(s.type);
  write_flags(surface_var("surface_type", view(surface_type), "1", "semantic surface type").get(),
              sim::surface_type_names());
  surface_var("surface_area_m2", view(s.area_m2), "m2", "true (sloped) surface area");
  surface_var("surface_tilt_deg", view(s.tilt_deg), "degree",
              "surface tilt, 0 = facing up, 90 = vertical");
  surface_var("surface_azimuth_deg", view(s.azimuth_deg), "degree",
              "azimuth of the outward normal, east of north");

  // street network: nodes, then segments
  nc.variable<std::int64_t>("node_id", {"node"}, view(st.node_id), "1",
                            "stable node id (the values of the node coordinate)");
  const Hid node_x =
      nc.variable<double>("node_x_m", {"node"}, view(st.node_x_m), "m", "projected x of the node");
  write_string_attr(node_x.get(), "standard_name", "projection_x_coordinate");
  const Hid node_y =
      nc.variable<double>("node_y_m", {"node"}, view(st.node_y_m), "m", "projected y of the node");
  write_string_attr(node_y.get(), "standard_name", "projection_y_coordinate");
  nc.variable<double>("node_z_m", {"node"}, view(st.node_z_m), "m",
                      "terrain elevation at the node");
  write_flags(nc.variable<std::uint8_t>("node_signalised", {"node"}, view(st.node_signalised), "1",
                                        "1 when the intersection has traffic signals")
                  .get(),
              {"unsignalised", "signalised"});
  nc.variable<std::int64_t>("street_id", {"street"}, view(st.street_id), "1",
                            "stable street id (the values of the street coordinate)");
  nc.variable<std::int32_t>("from_node_idx", {"street"}, view(st.from_node_idx), "1",
                            "index of the start node (0-based)");
  nc.variable<std::int32_t>("to_node_idx", {"street"}, view(st.to_node_idx), "1",
                            "index of the end node (0-based)");
  nc.variable<double>("length_m", {"street"}, view(st.length_m), "m", "centre-line length");
  nc.variable<std::int32_t>("lanes_forward", {"street"}, view(st.lanes_forward), "1",
                            "lanes from start to end node");
  nc.variable<std::int32_t>("lanes_backward", {"street"}, view(st.lanes_backward), "1",
                            "lanes from end to start node (0 = one-way)");
  nc.variable<double>("speed_limit_mps", {"street"}, view(st.speed_limit_mps), "m s-1",
                      "legal speed");
  nc.variable<double>("width_m", {"street"}, view(st.width_m), "m", "carriageway width");
  const std::vector<std::uint8_t> street_class = enum_values(st.street_class);
  write_flags(nc.variable<std::uint8_t>("street_class", {"street"}, view(street_class), "1",
                                        "class of the street")
                  .get(),
              sim::street_class_names());

  // blocks and zones as bounding boxes
  nc.variable<double>("block_min_x_m", {"block"}, view(bl.min_x_m), "m",
                      "block bounding box min x");
  nc.variable<double>("block_min_y_m", {"block"}, view(bl.min_y_m), "m",
                      "block bounding box min y");
  nc.variable<double>("block_max_x_m", {"block"}, view(bl.max_x_m), "m",
                      "block bounding box max x");
  nc.variable<double>("block_max_y_m", {"block"}, view(bl.max_y_m), "m",
                      "block bounding box max y");
  nc.variable<std::int32_t>("block_zone_idx", {"block"}, view(bl.zone_idx), "1",
                            "index of the zone of the block (0-based, -1 = none)");
  nc.variable<std::int64_t>("zone_id", {"zone"}, view(z.zone_id), "1",
                            "stable zone id (the values of the zone coordinate)");
  nc.string_variable("zone_name", "zone", z.name, "1", "display name of the zone");
  nc.variable<double>("zone_min_x_m", {"zone"}, view(z.min_x_m), "m", "zone bounding box min x");
  nc.variable<double>("zone_min_y_m", {"zone"}, view(z.min_y_m), "m", "zone bounding box min y");
  nc.variable<double>("zone_max_x_m", {"zone"}, view(z.max_x_m), "m", "zone bounding box max x");
  nc.variable<double>("zone_max_y_m", {"zone"}, view(z.max_y_m), "m", "zone bounding box max y");

  // terrain elevation grid, rows along y
  const Hid elevation =
      nc.variable<double>("terrain_elevation_m", {"terrain_y", "terrain_x"}, view(t.elevation_m),
                          "m", "terrain elevation above the vertical datum");
  write_string_attr(elevation.get(), "standard_name", "surface_altitude");
  expect_ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush");
  city_written = true;
}

void ResultWriter::Impl::flush() {
  if (n_buffered > 0) {
    const std::int64_t n_total = n_written + n_buffered;
    // sets the extent of a (time[, entity]) dataset to the rows written after this flush
    const auto extend = [&](hid_t dataset, std::int64_t n_cols, const std::string& name) {
      const hsize_t extent[2] = {hs(n_total), hs(n_cols)};
      expect_ok(H5Dset_extent(dataset, extent), "extending " + name);
    };
    // rows [first, last) from `data` (the row `first`) through HDF5's pipeline (one thread)
    const auto write_rows = [&](hid_t dataset, hid_t mem_type, int rank, std::int64_t n_cols,
                                std::int64_t first, std::int64_t last, const void* data,
                                const std::string& name) {
      if (n_cols == 0 || first >= last) return;
      const hsize_t start[2] = {hs(first), 0};
      const hsize_t count[2] = {hs(last - first), hs(n_cols)};
      const Hid file_space(H5Dget_space(dataset), H5Sclose, "H5Dget_space");
      expect_ok(
          H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          "H5Sselect_hyperslab");
      const Hid mem_space(H5Screate_simple(rank, count, nullptr), H5Sclose, "H5Screate_simple");
      expect_ok(H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data),
                "writing " + name);
    };
    // Compressed variables go by whole chunks packed here (pack_chunk), except the rows that
    // complete a chunk begun at an earlier flush (HDF5 merges those into the stored chunk).
    // Packed bytes are in the file's byte order only on a little-endian machine.
    constexpr bool kPackHere = std::endian::native == std::endian::little;
    std::vector<PackedChunk> packed;
    // the chunks of rows [first, last) of `var`, whose row `first` is at `data`
    const auto add_chunks = [&](const OutputVariable& var, std::int64_t first, std::int64_t last,
                                const std::byte* data, const std::string& name) {
      const auto rows = static_cast<std::int64_t>(var.chunk_rows);
      const auto entities = static_cast<std::int64_t>(var.chunk_entities);
      for (std::int64_t row = first; row < last; row += rows) {
        for (std::int64_t e = 0; e < var.n_entities; e += entities) {
          PackedChunk c;
          c.var = &var;
          c.name = name;
          c.offset = var.snapshot ? std::array<hsize_t, 2>{hs(e), 0}
                                  : std::array<hsize_t, 2>{hs(row), hs(e)};
          c.first_row = data + static_cast<std::size_t>(row - first) * var.row_bytes;
          c.n_rows = std::min(rows, last - row);
          packed.push_back(std::move(c));
        }
      }
    };
    for (ModelGroup& group : groups) {
      const std::string time_name = group.model + "/time";
      const std::string tick_name = group.model + "/tick";
      extend(group.time.get(), 1, time_name);
      extend(group.tick.get(), 1, tick_name);
      write_rows(group.time.get(), H5T_NATIVE_DOUBLE, 1, 1, n_written, n_total, time_s.data(),
                 time_name);
      write_rows(group.tick.get(), H5T_NATIVE_INT64, 1, 1, n_written, n_total, ticks.data(),
                 tick_name);
      bytes_written += 16 * n_buffered;
      for (OutputVariable& var : group.variables) {
        const std::string name = group.model + "/" + var.name;
        const bool pack = kPackHere && var.chunk_entities > 0 && var.n_entities > 0;
        if (var.snapshot) {
          if (var.n_entities > 0 && var.dirty && pack) {
            add_chunks(var, 0, 1, var.buffer.data(), name);
          } else if (var.n_entities > 0 && var.dirty) {
            expect_ok(H5Dwrite(var.dataset.get(), var.mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                               var.buffer.data()),
                      "writing " + name);
          }
          var.dirty = false;
          bytes_written += static_cast<std::int64_t>(var.row_bytes);
          continue;
        }
        extend(var.dataset.get(), var.n_entities, name);
        // with packing, HDF5 writes only the rows up to the first chunk boundary
        const auto rows = static_cast<std::int64_t>(var.chunk_rows);
        const std::int64_t fresh =
            pack ? std::min(n_total, (n_written + rows - 1) / rows * rows) : n_total;
        write_rows(var.dataset.get(), var.mem_type, 2, var.n_entities, n_written, fresh,
                   var.buffer.data(), name);
        if (pack) {
          add_chunks(
              var, fresh, n_total,
              var.buffer.data() + static_cast<std::size_t>(fresh - n_written) * var.row_bytes,
              name);
        }
        bytes_written += static_cast<std::int64_t>(var.row_bytes) * n_buffered;
      }
    }
    // pack on all threads, write in a fixed order; in batches of a few chunks per thread, so
    // that a flush holds few packed chunks at a time
    const auto n_packed = static_cast<std::int64_t>(packed.size());
    const int compression = options.compression;
    const int threads = sim::thread_count();
    const std::int64_t batch = std::int64_t{kPackBatchPerThread} * threads;
    std::vector<PackScratch> scratch(static_cast<std::size_t>(n_packed > 0 ? threads : 0));
    for (std::int64_t first = 0; first < n_packed; first += batch) {
      const std::int64_t last = std::min(n_packed, first + batch);
#pragma omp parallel for schedule(dynamic, 1) if (last - first > 1 && threads > 1)
      for (std::int64_t k = first; k < last; ++k) {
        pack_chunk(packed[static_cast<std::size_t>(k)], compression,
                   scratch[static_cast<std::size_t>(sim::thread_index())]);
      }
      for (std::int64_t k = first; k < last; ++k) {
        PackedChunk& c = packed[static_cast<std::size_t>(k)];
        expect_ok(H5Dwrite_chunk(c.var->dataset.get(), H5P_DEFAULT, c.filter_mask, c.offset.data(),
                                 c.bytes.size(), c.bytes.data()),
                  "writing " + c.name);
        std::vector<std::uint8_t>().swap(c.bytes);
      }
    }
    n_written = n_total;
    n_buffered = 0;
    ++n_flushes;
  }
  expect_ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush");
  last_flush = std::chrono::steady_clock::now();
}

void ResultWriter::Impl::close(bool success) {
  if (closed) return;
  closed = true;
  // write what is buffered, then release every object before the file itself
  std::exception_ptr error;
  try {
    flush();
  } catch (...) {
    error = std::current_exception();
  }
  groups.clear();
  if (file.reset() < 0 && !error) {
    try {
      fail("closing the file");
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);

  // the final name appears only for a complete run
  if (success) {
    std::error_code ec;
    std::filesystem::rename(partial, final_path, ec);
    if (ec) {
      throw std::runtime_error(partial.string() + ": cannot rename to " + final_path.string() +
                               ": " + ec.message());
    }
  }
}

ResultWriter::ResultWriter(std::filesystem::path path, const ResultMetadata& metadata,
                           const sim::StateLayout& layout, WriterOptions options)
    : path_(std::move(path)), impl_(std::make_unique<Impl>()) {
  // arguments
  if (path_.empty()) throw std::invalid_argument("ResultWriter: path is empty");
  if (options.compression < 0 || options.compression > 9) {
    throw std::invalid_argument("ResultWriter: compression must be 0..9 (got " +
                                std::to_string(options.compression) + ")");
  }
  if (options.flush_every < 1) {
    throw std::invalid_argument("ResultWriter: flush_every must be >= 1 (got " +
                                std::to_string(options.flush_every) + ")");
  }
  if (options.expected_rows < 0) {
    throw std::invalid_argument("ResultWriter: expected_rows must be >= 0 (got " +
                                std::to_string(options.expected_rows) + ")");
  }

  // the file, its groups and datasets
  impl_->partial = partial_path();
  impl_->final_path = path_;
  impl_->options = options;
  impl_->start_utc_s = metadata.start_utc_s;
  guarded(impl_->partial, "cannot create results file", [&] { impl_->create(metadata, layout); });
}

ResultWriter::~ResultWriter() {
  if (!impl_ || impl_->closed) return;
  try {
    close(false);
  } catch (...) {
    // a destructor must not throw; the .partial file keeps every step flushed before
  }
}

void ResultWriter::write_city(const sim::City& city) {
  if (impl_->closed) throw std::logic_error("ResultWriter::write_city after close()");
  guarded(impl_->partial, "writing /city", [&] { impl_->write_city(city); });
}

void ResultWriter::append(std::int64_t tick, std::int64_t utc_s, const sim::State& state,
                          std::span<const std::uint8_t> changed) {
  Impl& w = *impl_;
  if (w.closed) throw std::logic_error("ResultWriter::append after close()");
  if (!changed.empty() && static_cast<sim::ColumnId>(changed.size()) != state.n_columns()) {
    throw std::invalid_argument("ResultWriter::append: changed needs one flag per column (got " +
                                std::to_string(changed.size()) + " for " +
                                std::to_string(state.n_columns()) + ")");
  }
  if (tick <= w.last_tick) {
    throw std::invalid_argument("ResultWriter::append: tick must increase (got " +
                                std::to_string(tick) + " after " + std::to_string(w.last_tick) +
                                ")");
  }

  // copy the step into the buffers: no HDF5 call between flushes
  const auto row = static_cast<std::size_t>(w.n_buffered);
  for (Impl::ModelGroup& group : w.groups) {
    for (Impl::OutputVariable& var : group.variables) {
      if (var.column >= state.n_columns() || state.bytes(var.column) != var.row_bytes) {
        throw std::invalid_argument("ResultWriter::append: state does not match the layout at '" +
                                    group.model + "." + var.name + "'");
      }
      if (var.snapshot) {
        // an unchanged snapshot keeps the values already buffered (and written, once flushed)
        if (var.buffered && !changed.empty() && changed[static_cast<std::size_t>(var.column)] == 0) {
          continue;
        }
        std::memcpy(var.buffer.data(), state.data(var.column), var.row_bytes);
        var.buffered = true;
        var.dirty = true;
        continue;
      }
      std::memcpy(var.buffer.data() + row * var.row_bytes, state.data(var.column), var.row_bytes);
    }
  }
  w.time_s[row] = static_cast<double>(utc_s - w.start_utc_s);
  w.ticks[row] = tick;
  ++w.n_buffered;
  w.last_tick = tick;

  // flush at the next chunk boundary (flush_every steps; realigns after an early flush) or on
  // wall time, whichever comes first
  const std::chrono::duration<double> since_flush = std::chrono::steady_clock::now() - w.last_flush;
  const bool chunk_full = (w.n_written + w.n_buffered) % w.options.flush_every == 0;
  if (chunk_full || since_flush.count() >= w.options.flush_interval_s) flush();
}

void ResultWriter::flush() {
  if (impl_->closed) return;
  guarded(impl_->partial, "flushing results", [&] { impl_->flush(); });
}

void ResultWriter::write_kpis(const std::vector<std::pair<std::string, sim::Kpi>>& kpis) {
  Impl& w = *impl_;
  if (w.closed) throw std::logic_error("ResultWriter::write_kpis after close()");
  guarded(w.partial, "writing /kpi", [&] {
    // the group, created on the first call
    const hid_t file = w.file.get();
    const Hid group = H5Lexists(file, "kpi", H5P_DEFAULT) > 0
                          ? Hid(H5Gopen2(file, "kpi", H5P_DEFAULT), H5Gclose, "opening /kpi")
                          : create_group(file, "kpi");

    // one scalar float64 variable per indicator, "<model>__<name>"
    for (const auto& [model, kpi] : kpis) {
      const std::string name = model + "__" + kpi.name;
      if (model.empty() || kpi.name.empty() || name.find('/') != std::string::npos) {
        throw std::invalid_argument("ResultWriter::write_kpis: bad indicator name '" + model + "." +
                                    kpi.name + "'");
      }
      if (H5Lexists(group.get(), name.c_str(), H5P_DEFAULT) > 0) {
        const Hid dataset(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose,
                          "opening kpi/" + name);
        expect_ok(
            H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &kpi.value),
            "writing kpi/" + name);
        continue;
      }
      const Hid dataset =
          create_filled(group.get(), name, {}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &kpi.value, 0);
      write_units(dataset.get(), kpi.units, kpi.long_name);
      write_string_attr(dataset.get(), "model", model);
      write_string_attr(dataset.get(), "key", model + "." + kpi.name);
    }
    expect_ok(H5Fflush(file, H5F_SCOPE_GLOBAL), "H5Fflush");
  });
}

void ResultWriter::close(bool success) {
  if (impl_->closed) return;
  guarded(impl_->partial, "closing results", [&] { impl_->close(success); });
}

std::filesystem::path ResultWriter::partial_path() const {
  std::filesystem::path partial = path_;
  partial += ".partial";
  return partial;
}

std::int64_t ResultWriter::n_steps_written() const { return impl_->n_written; }

std::int64_t ResultWriter::n_flushes() const { return impl_->n_flushes; }

std::int64_t ResultWriter::bytes_written() const { return impl_->bytes_written; }

}  // namespace citytwin::io
