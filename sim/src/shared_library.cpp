#include <citytwin/sim/shared_library.hpp>

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace citytwin::sim {

void* shared_library_function(const char* soname, const char* debian_package, const char* name) {
  // dlopen of a library already open returns its handle (the library is never closed)
  void* const library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error(std::string("cannot load ") + soname + ": " +
                             (why != nullptr ? why : "unknown error") + "; install Debian's " +
                             debian_package + " (.ci/setup installs it)");
  }
  void* const address = dlsym(library, name);
  if (address == nullptr) {
    throw std::runtime_error(std::string(soname) + " has no function " + name +
                             " (another version than citytwin was built with?)");
  }
  return address;
}

}  // namespace citytwin::sim
