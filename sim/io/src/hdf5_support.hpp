#pragma once

// HDF5 helpers shared by the results writer and reader (private to citytwin::io).
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace citytwin::io::detail {

// netCDF-4's NAME of a dimension scale that is not a variable, followed by "%10d" of the length
inline constexpr const char* kDimWithoutVariable =
    "This is a netCDF dimension but not a netCDF variable.";

/// Failure of an HDF5 call; public entry points rethrow it as std::runtime_error with the path.
class Hdf5Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Collects the innermost message of the current HDF5 error stack.
inline herr_t collect_error(unsigned n, const H5E_error2_t* error, void* client) {
  auto* text = static_cast<std::string*>(client);
  if (n == 0 && error != nullptr && error->desc != nullptr) {
    *text = std::string(error->func_name) + ": " + error->desc;
  }
  return 0;
}

/// Builds the exception for a failed HDF5 call named `what`.
[[noreturn]] inline void fail(const std::string& what) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &detail);
  throw Hdf5Error(detail.empty() ? what + " failed" : what + " failed (HDF5 " + detail + ")");
}

/// Throws when an HDF5 status is negative.
inline void expect_ok(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

/// Owns one HDF5 identifier and closes it with the matching H5*close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  /// Takes ownership of `id`; throws Hdf5Error naming `what` when `id` is invalid.
  Hid(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
    if (id_ < 0) fail(what);
  }
  ~Hid() { reset(); }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  /// Closes the identifier now; returns the status of the close call (0 when nothing was open).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }
  [[nodiscard]] hid_t get() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// Turns off HDF5's automatic error printing for its lifetime: failures become exceptions.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace citytwin::io::detail
