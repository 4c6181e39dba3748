#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace citytwin::test {

/// The shared real-data folder: $CITYTWIN_DATA, else ../shared/data beside the source tree.
inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("CITYTWIN_DATA"); env != nullptr && *env != '\0') return env;
  const char* source = std::getenv("CITYTWIN_SOURCE_DIR");
  const std::filesystem::path root = source != nullptr ? source : ".";
  return root / ".." / "shared" / "data";
}

/// The path of a real data file; the calling test is skipped (with the path) when it is missing.
#define CITYTWIN_DATA_FILE(var, relative)                                                  \
  const std::filesystem::path var = ::citytwin::test::data_dir() / (relative);            \
  if (!std::filesystem::exists(var)) GTEST_SKIP() << "real data missing: " << var.string()

}  // namespace citytwin::test
