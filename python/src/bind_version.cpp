#include <citytwin/config.hpp>

#include "bindings.hpp"

namespace citytwin::python {

void bind_version(pybind11::module_& module) {
  module.attr("__version__") = kVersion;
  module.attr("__git_describe__") = kGitDescribe;
}

}  // namespace citytwin::python
