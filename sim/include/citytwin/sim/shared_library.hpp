#pragma once

// Shared libraries opened on first use (docs/architecture.md#start-up-of-the-citytwin-program).

namespace citytwin::sim {

/// Opens the shared library `soname` (dlopen, local symbols) and returns its handle; opening it
/// again returns the same handle. Throws std::runtime_error naming the library, the loader's
/// reason and the Debian package `debian_package` to install. Thread-safe.
[[nodiscard]] void* open_shared_library(const char* soname, const char* debian_package);

/// The address of the function `name` in `library` (from open_shared_library(`soname`, ...));
/// throws std::runtime_error naming both when it has none. Thread-safe.
[[nodiscard]] void* shared_library_function(void* library, const char* soname, const char* name);

/// shared_library_function() as a pointer to F, the function's type as declared by the
/// library's own header (decltype of the declaration).
template <typename F>
[[nodiscard]] F* shared_library_function_as(void* library, const char* soname, const char* name) {
  return reinterpret_cast<F*>(shared_library_function(library, soname, name));
}

}  // namespace citytwin::sim
