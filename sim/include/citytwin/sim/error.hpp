#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace citytwin {

/// One problem found in an input file: where it is, which key, what is wrong and how to fix it.
struct InputIssue {
  std::string file;     ///< input file path as the user gave it ("<command line>" for --set)
  int line = 0;         ///< 1-based line, 0 when unknown
  int column = 0;       ///< 1-based column, 0 when unknown
  std::string key;      ///< dotted key path, e.g. "models.bikeshare.stations[3].capacity"
  std::string message;  ///< what is wrong and how to fix it

  /// Formats the issue as "file:line:col: error: message".
  [[nodiscard]] std::string format() const;
};

/// Thrown for bad scenario or data files, after every problem of the input has been collected.
/// what() holds one formatted line per issue. Thread-safe to read.
class InputError : public std::runtime_error {
 public:
  /// Builds the error from a non-empty list of issues.
  explicit InputError(std::vector<InputIssue> issues);
  /// Builds the error from a single issue.
  explicit InputError(InputIssue issue);

  /// Returns every issue, in the order they were found.
  [[nodiscard]] const std::vector<InputIssue>& issues() const { return issues_; }
  /// Returns the first issue (the one `file`, `line` and `key` of the Python exception name).
  [[nodiscard]] const InputIssue& first() const { return issues_.front(); }

 private:
  std::vector<InputIssue> issues_;
};

/// Thrown when an internal invariant of citytwin is broken: a bug, never bad input.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
[[noreturn]] void fail_check(const char* file, int line, const char* condition,
                             const std::string& message);
}  // namespace detail

}  // namespace citytwin

/// Always-on invariant check: throws citytwin::InternalError naming the C++ source line.
#define CITYTWIN_CHECK(cond, msg)                                          \
  do {                                                                     \
    if (!(cond)) ::citytwin::detail::fail_check(__FILE__, __LINE__, #cond, (msg)); \
  } while (false)

#ifdef NDEBUG
#define CITYTWIN_DCHECK(cond) \
  do {                        \
  } while (false)
#else
/// Debug-only invariant check for expensive conditions.
#define CITYTWIN_DCHECK(cond) CITYTWIN_CHECK(cond, "debug check")
#endif
