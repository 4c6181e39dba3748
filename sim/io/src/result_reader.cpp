// Reading results files back: read_kpis, describe_results (`citytwin info`) and compare_results
// (`citytwin compare`). The layout is documented in docs/output-format.md.

#include <citytwin/io/result_writer.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "hdf5_support.hpp"

namespace citytwin::io {
namespace {


using detail::collect_error;
using detail::expect_ok;
using detail::fail;
using detail::Hdf5Error;
using detail::Hid;
using detail::kDimWithoutVariable;
using detail::QuietErrors;

/// Runs `body` with HDF5 printing off and rethrows HDF5 failures with the file path.
template <typename Body>
auto guarded(const std::filesystem::path& file, Body&& body) {
  const QuietErrors quiet;
  try {
    return body();
  } catch (const Hdf5Error& e) {
    throw std::runtime_error(file.string() + ": cannot read results file: " + e.what());
  }
}

/// Opens a results file read-only. File locking is off so that the `.partial` file of a running
/// simulation can be inspected (it is consistent between flushes).
Hid open_results(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(path.string() + ": cannot open results file: no such file");
  }
  const Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(access)");
  expect_ok(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking");
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) {
    std::string detail;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &detail);
    throw std::runtime_error(path.string() + ": cannot open results file (not HDF5? " + detail +
                             ")");
  }
  return Hid(file, H5Fclose, "H5Fopen");
}

/// Collects link names into a vector.
herr_t collect_link(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

/// Names of the links of a group in creation order (name order when order is not tracked).
std::vector<std::string> link_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_link, &names) < 0) {
    names.clear();
    index = 0;
    expect_ok(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_link, &names),
              "H5Literate");
  }
  return names;
}

/// Collects attribute names into a vector.
herr_t collect_attribute(hid_t /*object*/, const char* name, const H5A_info_t* /*info*/,
                         void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

/// Names of the attributes of an object in creation order (name order when not tracked).
std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Aiterate2(object, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_attribute, &names) < 0) {
    names.clear();
    index = 0;
    expect_ok(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &names),
              "H5Aiterate2");
  }
  return names;
}

/// Formats a double with the fewest digits that read back to the same value.
std::string shortest(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return {text, result.ptr};
}

/// Reads an attribute of any string or numeric type as text; arrays are joined with ", ".
std::string attribute_text(hid_t attr) {
  const Hid type(H5Aget_type(attr), H5Tclose, "H5Aget_type");
  const Hid space(H5Aget_space(attr), H5Sclose, "H5Aget_space");
  const hssize_t n_points = H5Sget_simple_extent_npoints(space.get());
  if (n_points < 0) fail("H5Sget_simple_extent_npoints");
  const auto n = static_cast<std::size_t>(n_points);
  std::vector<std::string> values;

  // strings, variable or fixed length
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class == H5T_STRING && H5Tis_variable_str(type.get()) > 0) {
    const Hid mem_type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    expect_ok(H5Tset_size(mem_type.get(), H5T_VARIABLE), "H5Tset_size");
    expect_ok(H5Tset_cset(mem_type.get(), H5Tget_cset(type.get())), "H5Tset_cset");
    std::vector<char*> pointers(n, nullptr);
    expect_ok(H5Aread(attr, mem_type.get(), pointers.data()), "H5Aread");
    for (const char* pointer : pointers) values.emplace_back(pointer != nullptr ? pointer : "");
    H5Dvlen_reclaim(mem_type.get(), space.get(), H5P_DEFAULT, pointers.data());
  } else if (type_class == H5T_STRING) {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buffer(size * n);
    expect_ok(H5Aread(attr, type.get(), buffer.data()), "H5Aread");
    for (std::size_t i = 0; i < n; ++i) {
      const char* begin = buffer.data() + i * size;
      values.emplace_back(begin, strnlen(begin, size));
    }
  } else if (type_class == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
    // numbers
    std::vector<std::uint64_t> numbers(n);
    expect_ok(H5Aread(attr, H5T_NATIVE_UINT64, numbers.data()), "H5Aread");
    for (const std::uint64_t number : numbers) values.push_back(std::to_string(number));
  } else if (type_class == H5T_INTEGER) {
    std::vector<std::int64_t> numbers(n);
    expect_ok(H5Aread(attr, H5T_NATIVE_INT64, numbers.data()), "H5Aread");
    for (const std::int64_t number : numbers) values.push_back(std::to_string(number));
  } else if (type_class == H5T_FLOAT) {
    std::vector<double> numbers(n);
    expect_ok(H5Aread(attr, H5T_NATIVE_DOUBLE, numbers.data()), "H5Aread");
    for (const double number : numbers) values.push_back(shortest(number));
  } else {
    return "<unsupported type>";
  }

  // join
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += values[i];
  }
  return text;
}

/// Reads attribute `name` of `object` as text, or nothing when it is absent.
std::optional<std::string> read_attribute(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return std::nullopt;
  const Hid attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, std::string("H5Aopen ") + name);
  return attribute_text(attr.get());
}

/// Type of an HDF5 dataset as NumPy names it ("float64", "int32", "string"...).
std::string type_name(hid_t dataset) {
  const Hid type(H5Dget_type(dataset), H5Tclose, "H5Dget_type");
  const std::size_t bits = 8 * H5Tget_size(type.get());
  switch (H5Tget_class(type.get())) {
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_INTEGER:
      return (H5Tget_sign(type.get()) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_STRING:
      return "string";
    default:
      return "other";
  }
}

/// Takes the last component of an HDF5 path.
std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Stores the name of the first scale attached to a dimension.
herr_t scale_name(hid_t /*dataset*/, unsigned /*dim*/, hid_t scale, void* client) {
  const ssize_t length = H5Iget_name(scale, nullptr, 0);
  if (length <= 0) return -1;
  std::string path(static_cast<std::size_t>(length) + 1, '\0');
  H5Iget_name(scale, path.data(), path.size());
  path.resize(static_cast<std::size_t>(length));
  *static_cast<std::string*>(client) = base_name(path);
  return 1;
}

/// Appends the dimensions and variables of `group` (and of its subgroups) to `out`.
void describe_group(hid_t group, const std::string& path, std::ostringstream& out) {
  std::vector<std::string> dims;
  std::vector<std::string> variables;
  std::vector<std::string> subgroups;
  for (const std::string& name : link_names(group)) {
    const Hid object(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose, "H5Oopen " + name);
    if (H5Iget_type(object.get()) == H5I_GROUP) {
      subgroups.push_back(name);
      continue;
    }
    if (H5Iget_type(object.get()) != H5I_DATASET) continue;

    // shape, with dimension names from the attached scales
    const hid_t dataset = object.get();
    const Hid space(H5Dget_space(dataset), H5Sclose, "H5Dget_space");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail("H5Sget_simple_extent_ndims");
    std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
    std::vector<hsize_t> max_shape(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), shape.data(), max_shape.data());
    const bool is_scale = H5DSis_scale(dataset) > 0;
    if (is_scale) {
      const bool unlimited = rank == 1 && max_shape[0] == H5S_UNLIMITED;
      dims.push_back(name + " = " + std::to_string(shape.empty() ? 0 : shape[0]) +
                     (unlimited ? " (unlimited)" : ""));
      const std::optional<std::string> scale_title = read_attribute(dataset, "NAME");
      if (scale_title && scale_title->rfind(kDimWithoutVariable, 0) == 0) continue;
    }
    std::string line = name + "(";
    for (int k = 0; k < rank; ++k) {
      std::string dim_name = is_scale ? name : "";
      if (!is_scale) {
        H5DSiterate_scales(dataset, static_cast<unsigned>(k), nullptr, scale_name, &dim_name);
      }
      if (dim_name.empty()) dim_name = "dim" + std::to_string(k);
      line +=
          (k > 0 ? ", " : "") + dim_name + "=" + std::to_string(shape[static_cast<std::size_t>(k)]);
    }
    line += ") " + type_name(dataset);

    // units and meaning
    const std::optional<std::string> units = read_attribute(dataset, "units");
    const std::optional<std::string> long_name = read_attribute(dataset, "long_name");
    line += " [" + units.value_or("?") + "]";
    if (long_name) line += " " + *long_name;
    variables.push_back(line);
  }

  // the group, then its subgroups
  if (path != "/") {
    out << "\n" << path << "\n";
    const std::vector<std::string> attributes = attribute_names(group);
    if (!attributes.empty()) out << "  attributes:\n";
    for (const std::string& name : attributes) {
      out << "    " << name << " = " << read_attribute(group, name.c_str()).value_or("") << "\n";
    }
  }
  if (!dims.empty()) out << "  dimensions:\n";
  for (const std::string& dim : dims) out << "    " << dim << "\n";
  if (!variables.empty()) out << "  variables:\n";
  for (const std::string& variable : variables) out << "    " << variable << "\n";
  for (const std::string& name : subgroups) {
    const Hid child(H5Gopen2(group, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen " + name);
    describe_group(child.get(), (path == "/" ? "/" : path + "/") + name, out);
  }
}

/// Formats a number for the comparison table: up to 6 significant digits, no exponent between
/// 1e-3 and 1e12, trailing zeros removed.
std::string format_number(double value) {
  if (value == 0.0) return "0";
  char text[64];
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e12) {
    const int decimals = std::max(0, 5 - static_cast<int>(std::floor(std::log10(magnitude))));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    std::string fixed = text;
    if (fixed.find('.') != std::string::npos) {
      fixed.erase(fixed.find_last_not_of('0') + 1);
      if (fixed.back() == '.') fixed.pop_back();
    }
    return fixed == "-0" ? "0" : fixed;
  }
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

/// Formats a change with an explicit sign ("+10", "-2.5", "0").
std::string format_change(double change) {
  const std::string text = format_number(change);
  return change > 0.0 && text != "0" ? "+" + text : text;
}

/// Formats a relative change in percent of |base|, "-" when base is zero and the value is not.
std::string format_percent(double base, double value) {
  if (base == 0.0) return value == 0.0 ? "0.0%" : "-";
  const double percent = (value - base) / std::fabs(base) * 100.0;
  char text[64];
  std::snprintf(text, sizeof text, "%+.1f%%", percent);
  std::string result = text;
  return result == "+0.0%" || result == "-0.0%" ? "0.0%" : result;
}

/// Finds an indicator by key.
const StoredKpi* find_kpi(const std::vector<StoredKpi>& kpis, const std::string& key) {
  const auto it =
      std::find_if(kpis.begin(), kpis.end(), [&](const StoredKpi& kpi) { return kpi.key == key; });
  return it == kpis.end() ? nullptr : &*it;
}

}  // namespace

std::vector<StoredKpi> read_kpis(const std::filesystem::path& path) {
  return guarded(path, [&] {
    const Hid file = open_results(path);
    std::vector<StoredKpi> kpis;
    if (H5Lexists(file.get(), "kpi", H5P_DEFAULT) <= 0) return kpis;  // run ended early
    const Hid group(H5Gopen2(file.get(), "kpi", H5P_DEFAULT), H5Gclose, "H5Gopen kpi");

    // one scalar variable per indicator
    for (const std::string& name : link_names(group.get())) {
      const Hid dataset(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose,
                        "H5Dopen kpi/" + name);
      StoredKpi kpi;
      expect_ok(
          H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &kpi.value),
          "reading kpi/" + name);
      std::string fallback_key = name;
      const std::size_t separator = fallback_key.find("__");
      if (separator != std::string::npos) fallback_key.replace(separator, 2, ".");
      kpi.key = read_attribute(dataset.get(), "key").value_or(fallback_key);
      kpi.units = read_attribute(dataset.get(), "units").value_or("");
      kpi.long_name = read_attribute(dataset.get(), "long_name").value_or("");
      kpis.push_back(std::move(kpi));
    }
    return kpis;
  });
}

std::string describe_results(const std::filesystem::path& path) {
  return guarded(path, [&] {
    const Hid file = open_results(path);
    std::ostringstream out;
    out << "results file: " << path.string() << "\n";

    // root attributes; the scenario text comes last
    const Hid root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, "H5Gopen /");
    out << "attributes:\n";
    std::optional<std::string> scenario;
    for (const std::string& name : attribute_names(root.get())) {
      const std::string value = read_attribute(root.get(), name.c_str()).value_or("");
      if (name == "scenario") {
        scenario = value;
        out << "  scenario = <" << value.size() << " bytes, shown below>\n";
      } else {
        out << "  " << name << " = " << value << "\n";
      }
    }

    // groups with dimensions and variables
    describe_group(root.get(), "/", out);
    if (scenario) out << "\nscenario:\n" << *scenario << (scenario->ends_with('\n') ? "" : "\n");
    return out.str();
  });
}

std::string compare_results(const std::filesystem::path& base,
                            const std::vector<std::filesystem::path>& variants) {
  // indicators of every file; keys in order of first appearance
  const std::vector<StoredKpi> base_kpis = read_kpis(base);
  std::vector<std::vector<StoredKpi>> variant_kpis;
  for (const std::filesystem::path& variant : variants) variant_kpis.push_back(read_kpis(variant));
  std::vector<std::string> keys;
  const auto add_keys = [&](const std::vector<StoredKpi>& kpis) {
    for (const StoredKpi& kpi : kpis) {
      if (std::find(keys.begin(), keys.end(), kpi.key) == keys.end()) keys.push_back(kpi.key);
    }
  };
  add_keys(base_kpis);
  for (const std::vector<StoredKpi>& kpis : variant_kpis) add_keys(kpis);

  // header and one row per indicator: cells of text
  const bool several = variants.size() > 1;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"indicator", "units", "base"};
  for (std::size_t v = 0; v < variants.size(); ++v) {
    header.push_back(several ? "variant " + std::to_string(v + 1) : "variant");
    header.emplace_back("change");
    header.emplace_back("change %");
  }
  rows.push_back(header);
  for (const std::string& key : keys) {
    const StoredKpi* in_base = find_kpi(base_kpis, key);
    std::string units = in_base != nullptr ? in_base->units : "";
    std::vector<std::string> row{key, "", in_base != nullptr ? format_number(in_base->value) : "-"};
    for (const std::vector<StoredKpi>& kpis : variant_kpis) {
      const StoredKpi* in_variant = find_kpi(kpis, key);
      if (in_base == nullptr && in_variant != nullptr && units.empty()) units = in_variant->units;
      if (in_variant == nullptr) {
        row.insert(row.end(), {"-", "-", "-"});
      } else if (in_base == nullptr) {
        row.insert(row.end(), {format_number(in_variant->value), "-", "-"});
      } else {
        row.push_back(format_number(in_variant->value));
        row.push_back(format_change(in_variant->value - in_base->value));
        row.push_back(format_percent(in_base->value, in_variant->value));
      }
    }
    row[1] = units.empty() ? "-" : units;
    rows.push_back(row);
  }

  // files, then the table with padded columns (text left-aligned, numbers right-aligned)
  std::ostringstream out;
  out << "base:" << std::string(several ? 6 : 4, ' ') << base.string() << "\n";
  for (std::size_t v = 0; v < variants.size(); ++v) {
    out << (several ? "variant " + std::to_string(v + 1) + ": " : std::string("variant: "))
        << variants[v].string() << "\n";
  }
  out << "\n";
  std::vector<std::size_t> widths(header.size(), 0);
  for (const std::vector<std::string>& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out << "|";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const std::string pad(widths[c] - rows[r][c].size(), ' ');
      out << " " << (c < 2 ? rows[r][c] + pad : pad + rows[r][c]) << " |";
    }
    out << "\n";
    if (r == 0) {
      out << "|";
      for (const std::size_t width : widths) out << std::string(width + 2, '-') << "|";
      out << "\n";
    }
  }
  if (keys.empty()) out << "(no indicators in any file)\n";
  return out.str();
}

}  // namespace citytwin::io
