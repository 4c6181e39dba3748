#pragma once

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/sim/error.hpp>

namespace citytwin::test {

/// Returns the message of the InputError thrown by `fn`, or a marker when nothing was thrown.
template <typename F>
std::string input_error_message(F&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError thrown>";
}

}  // namespace citytwin::test

/// Asserts that `expr` throws citytwin::InputError whose message matches the regex `pattern`.
#define EXPECT_INPUT_ERROR(expr, pattern)                                                   \
  do {                                                                                      \
    const std::string citytwin_msg_ = ::citytwin::test::input_error_message([&] { (void)(expr); }); \
    EXPECT_TRUE(std::regex_search(citytwin_msg_, std::regex(pattern)))                      \
        << "message was:\n" << citytwin_msg_ << "\nexpected to match: " << (pattern);      \
  } while (false)
