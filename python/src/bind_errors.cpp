#include <exception>

#include <citytwin/sim/error.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

/// The citytwin.InputError type, created at import and kept for the life of the process (the
/// translator runs after the module object may be gone, so it cannot borrow the module's copy).
PyObject* input_error_type = nullptr;

/// Returns one issue as a dict with the fields of InputIssue.
py::dict issue_dict(const InputIssue& issue) {
  py::dict out;
  out["file"] = issue.file;
  out["line"] = issue.line;
  out["column"] = issue.column;
  out["key"] = issue.key;
  out["message"] = issue.message;
  return out;
}

/// Sets citytwin.InputError as the pending Python error, with the first issue's file, line and key
/// as attributes and every issue in `.issues`.
void raise_input_error(const InputError& error) {
  const InputIssue& first = error.first();
  py::list issues;
  for (const InputIssue& issue : error.issues()) issues.append(issue_dict(issue));
  const py::object exception = py::handle(input_error_type)(error.what());
  exception.attr("file") = first.file;
  exception.attr("line") = first.line;
  exception.attr("key") = first.key;
  exception.attr("issues") = issues;
  PyErr_SetObject(input_error_type, exception.ptr());
}

/// Maps citytwin's exceptions to Python ones; pybind11's own translator maps the standard ones
/// (std::invalid_argument -> ValueError).
void translate_exception(std::exception_ptr pending) {
  try {
    if (pending) std::rethrow_exception(pending);
  } catch (const InputError& error) {
    raise_input_error(error);
  } catch (const InternalError& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  }
}

constexpr const char* kInputErrorDoc =
    "Thrown for bad scenario or data files, after every problem of the input "
    "has been collected.\n"
    "\n"
    "A subclass of ValueError. ``file``, ``line`` and ``key`` name the first "
    "problem; ``issues``\n"
    "lists every problem as a dict with keys file, line, column, key and "
    "message.";

}  // namespace

void bind_errors(py::module_& module) {
  input_error_type =
      PyErr_NewExceptionWithDoc("citytwin.InputError", kInputErrorDoc, PyExc_ValueError, nullptr);
  if (input_error_type == nullptr) throw py::error_already_set();
  const py::handle type(input_error_type);
  type.attr("file") = py::none();
  type.attr("line") = py::none();
  type.attr("key") = py::none();
  type.attr("issues") = py::none();
  module.add_object("InputError", type);
  py::register_exception_translator(&translate_exception);
}

}  // namespace citytwin::python
