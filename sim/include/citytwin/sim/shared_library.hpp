#pragma once

// Shared libraries opened on first use (docs/architecture.md#start-up-of-the-citytwin-program).

namespace citytwin::sim {

/// The address of the function `name` in the shared library `soname`, which is opened (dlopen,
/// local symbols) at the first call and stays open; later calls find it open. Throws
/// std::runtime_error naming the library, the loader's reason and the Debian package
/// `debian_package` to install when it cannot be opened, or naming both when it has no such
/// function. Thread-safe.
[[nodiscard]] void* shared_library_function(const char* soname, const char* debian_package,
                                            const char* name);

/// shared_library_function() as a pointer to F, the function's type as declared by the
/// library's own header (decltype of the declaration).
template <typename F>
[[nodiscard]] F* shared_library_function_as(const char* soname, const char* debian_package,
                                            const char* name) {
  return reinterpret_cast<F*>(shared_library_function(soname, debian_package, name));
}

}  // namespace citytwin::sim
