#include <citytwin/sim/shared_library.hpp>

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace citytwin::sim {

void* open_shared_library(const char* soname, const char* debian_package) {
  void* const handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error(std::string("cannot load ") + soname + ": " +
                             (why != nullptr ? why : "unknown error") + "; install Debian's " +
                             debian_package + " (.ci/setup installs it)");
  }
  return handle;
}

void* shared_library_function(void* library, const char* soname, const char* name) {
  void* const address = dlsym(library, name);
  if (address == nullptr) {
    throw std::runtime_error(std::string(soname) + " has no function " + name +
                             " (another version than citytwin was built with?)");
  }
  return address;
}

}  // namespace citytwin::sim
