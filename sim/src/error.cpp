#include <citytwin/sim/error.hpp>

#include <sstream>

namespace citytwin {

namespace {

// one line per issue, joined
std::string join_issues(const std::vector<InputIssue>& issues) {
  std::string text;
  for (std::size_t i = 0; i < issues.size(); ++i) {
    if (i > 0) text += '\n';
    text += issues[i].format();
  }
  return text;
}

}  // namespace

std::string InputIssue::format() const {
  std::ostringstream out;
  out << (file.empty() ? std::string("<input>") : file);
  if (line > 0) {
    out << ':' << line;
    if (column > 0) out << ':' << column;
  }
  out << ": error: " << message;
  return out.str();
}

InputError::InputError(std::vector<InputIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {
  if (issues_.empty()) issues_.push_back(InputIssue{"", 0, 0, "", "unknown input error"});
}

InputError::InputError(InputIssue issue) : InputError(std::vector<InputIssue>{std::move(issue)}) {}

namespace detail {

void fail_check(const char* file, int line, const char* condition, const std::string& message) {
  std::ostringstream out;
  out << file << ':' << line << ": internal error: check '" << condition << "' failed: " << message;
  throw InternalError(out.str());
}

}  // namespace detail

}  // namespace citytwin
