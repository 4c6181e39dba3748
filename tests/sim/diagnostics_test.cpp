#include <citytwin/sim/diagnostics.hpp>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

TEST(Diagnostics, CollectsAllErrorsIntoOneException) {
  Diagnostics diag;
  diag.error("a.toml", 3, 5, "time.dt_s", "time.dt_s must be > 0 (got 0)");
  diag.error("a.toml", 9, 1, "output.zz", "unknown key 'output.zz'");
  try {
    diag.throw_if_errors();
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "a.toml:3:5: error: time.dt_s must be > 0 (got 0)\n"
                 "a.toml:9:1: error: unknown key 'output.zz'");
    EXPECT_EQ(e.first().key, "time.dt_s");
    EXPECT_EQ(e.issues().size(), 2u);
  }
}

TEST(Diagnostics, WarningsKeepTheEarliestOccurrence) {
  Diagnostics diag;
  diag.warn("energy", "soc_frac", 12, 40, "negative");
  diag.warn("energy", "soc_frac", 3, 20, "NaN");
  diag.warn("energy", "soc_frac", 1, 20, "NaN first entity");
  diag.warn("solar", "ac_kw", 5, 1, "NaN");
  EXPECT_EQ(diag.n_warnings(), 4);
  const auto& w = diag.warnings().at("energy.soc_frac");
  EXPECT_EQ(w.count, 3);
  EXPECT_EQ(w.first_tick, 20);
  EXPECT_EQ(w.first_entity_id, 1);
  EXPECT_EQ(w.first_message, "NaN first entity");
}

TEST(EditDistance, HandComputed) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("compresion", "compression"), 1u);
  EXPECT_EQ(closest_match("compresion", {"path", "compression", "city"}), "compression");
  EXPECT_EQ(closest_match("xyz", {"path", "compression", "city"}), "");
}

}  // namespace
}  // namespace citytwin::sim
