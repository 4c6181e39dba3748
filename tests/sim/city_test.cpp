#include <citytwin/sim/city.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/error.hpp>

namespace citytwin::sim {
namespace {

// message of the InternalError thrown by fn, or a marker when nothing was thrown
template <typename F>
std::string internal_error_message(F&& fn) {
  try {
    fn();
  } catch (const InternalError& e) {
    return e.what();
  }
  return "<no InternalError thrown>";
}

// a consistent one-building city: a 10 m x 8 m box on one block of one zone, two street nodes
City tiny_city() {
  City city;
  Buildings& b = city.buildings;
  b.building_id = {7};
  b.height_m = {6.0};
  b.eaves_height_m = {6.0};
  b.ground_elevation_m = {0.0};
  b.footprint_area_m2 = {80.0};
  b.floor_area_m2 = {160.0};
  b.n_floors = {2};
  b.residents = {4};
  b.jobs = {0};
  b.use = {BuildingUse::kResidential};
  b.roof_shape = {RoofShape::kFlat};
  b.roof_pitch_deg = {0.0};
  b.centroid_x_m = {5.0};
  b.centroid_y_m = {4.0};
  b.block_idx = {0};
  b.zone_idx = {0};
  b.ring_begin = {0, 1};
  b.vertex_begin = {0, 4};
  b.vertex_x_m = {0.0, 10.0, 10.0, 0.0};
  b.vertex_y_m = {0.0, 0.0, 8.0, 8.0};

  Surfaces& s = city.surfaces;
  s.surface_id = {1};
  s.building_idx = {0};
  s.type = {SurfaceType::kRoof};
  s.area_m2 = {80.0};
  s.tilt_deg = {0.0};
  s.azimuth_deg = {0.0};
  s.ring_begin = {0, 1};
  s.vertex_begin = {0, 4};
  s.vertex_x_m = {0.0, 10.0, 10.0, 0.0};
  s.vertex_y_m = {0.0, 0.0, 8.0, 8.0};
  s.vertex_z_m = {6.0, 6.0, 6.0, 6.0};

  Streets& st = city.streets;
  st.node_id = {1, 2};
  st.node_x_m = {-5.0, 15.0};
  st.node_y_m = {-5.0, -5.0};
  st.node_z_m = {0.0, 0.0};
  st.node_signalised = {0, 0};
  st.street_id = {1};
  st.from_node_idx = {0};
  st.to_node_idx = {1};
  st.length_m = {20.0};
  st.lanes_forward = {1};
  st.lanes_backward = {1};
  st.speed_limit_mps = {30.0 / 3.6};
  st.width_m = {8.0};
  st.street_class = {StreetClass::kLocal};

  city.blocks.min_x_m = {0.0};
  city.blocks.min_y_m = {0.0};
  city.blocks.max_x_m = {10.0};
  city.blocks.max_y_m = {8.0};
  city.blocks.zone_idx = {0};
  city.zones.zone_id = {1};
  city.zones.name = {"zone_01"};
  city.zones.min_x_m = {-5.0};
  city.zones.min_y_m = {-5.0};
  city.zones.max_x_m = {15.0};
  city.zones.max_y_m = {15.0};
  return city;
}

// 3 x 2 grid at (10, 20), 5 m apart; rows are y, so elevation_m[j * 3 + i]
Terrain small_terrain() {
  Terrain t;
  t.origin_x_m = 10.0;
  t.origin_y_m = 20.0;
  t.cell_m = 5.0;
  t.nx = 3;
  t.ny = 2;
  t.elevation_m = {0.0, 10.0, 4.0,   // y = 20
                   6.0, 2.0,  8.0};  // y = 25
  return t;
}

TEST(CityNames, BuildingUsesInEnumOrder) {
  const std::vector<std::string> expected{"residential", "commercial", "office", "industrial",
                                          "school",      "public",     "mixed",  "other"};
  EXPECT_EQ(building_use_names(), expected);
  EXPECT_EQ(building_use_names()[static_cast<int>(BuildingUse::kSchool)], "school");
  EXPECT_EQ(building_use_names()[static_cast<int>(BuildingUse::kOther)], "other");
}

TEST(CityNames, RoofSurfaceAndStreetNamesInEnumOrder) {
  EXPECT_EQ(roof_shape_names(),
            (std::vector<std::string>{"flat", "gabled", "hipped", "shed", "other"}));
  EXPECT_EQ(surface_type_names(), (std::vector<std::string>{"roof", "wall", "ground"}));
  EXPECT_EQ(street_class_names(),
            (std::vector<std::string>{"arterial", "collector", "local", "path"}));
  EXPECT_EQ(roof_shape_names()[static_cast<int>(RoofShape::kHipped)], "hipped");
  EXPECT_EQ(street_class_names()[static_cast<int>(StreetClass::kLocal)], "local");
}

TEST(CityTerrain, ElevationAtGridPointsIsExact) {
  const Terrain t = small_terrain();
  EXPECT_DOUBLE_EQ(t.elevation_at(10.0, 20.0), 0.0);
  EXPECT_DOUBLE_EQ(t.elevation_at(15.0, 20.0), 10.0);
  EXPECT_DOUBLE_EQ(t.elevation_at(20.0, 20.0), 4.0);
  EXPECT_DOUBLE_EQ(t.elevation_at(15.0, 25.0), 2.0);
  EXPECT_DOUBLE_EQ(t.elevation_at(20.0, 25.0), 8.0);
}

TEST(CityTerrain, ElevationAtIsBilinearInsideCells) {
  const Terrain t = small_terrain();
  // cell centre: mean of 0, 10, 6, 2
  EXPECT_NEAR(t.elevation_at(12.5, 22.5), 4.5, 1e-12);
  // (11, 24): fx 0.2, fy 0.8: south 0 + 0.2 * 10 = 2, north 6 + 0.2 * (2 - 6) = 5.2,
  // 2 + 0.8 * (5.2 - 2) = 4.56
  EXPECT_NEAR(t.elevation_at(11.0, 24.0), 4.56, 1e-12);
  // (17.5, 21): second cell, fx 0.5, fy 0.2: south 7, north 5, 7 + 0.2 * (5 - 7) = 6.6
  EXPECT_NEAR(t.elevation_at(17.5, 21.0), 6.6, 1e-12);
}

TEST(CityTerrain, ElevationAtClampsOutsideTheGrid) {
  const Terrain t = small_terrain();
  EXPECT_DOUBLE_EQ(t.elevation_at(-100.0, -100.0), 0.0);  // south-west corner
  EXPECT_DOUBLE_EQ(t.elevation_at(100.0, 100.0), 8.0);    // north-east corner
  EXPECT_NEAR(t.elevation_at(12.5, 1000.0), 4.0, 1e-12);  // north edge: 6 + 0.5 * (2 - 6)
  EXPECT_NEAR(t.elevation_at(-5.0, 22.5), 3.0, 1e-12);    // west edge: 0 + 0.5 * 6
}

TEST(CityTerrain, EmptyGridIsZeroAndSinglePointIsConstant) {
  const Terrain empty;
  EXPECT_EQ(empty.elevation_at(3.0, 4.0), 0.0);
  Terrain single;
  single.nx = 1;
  single.ny = 1;
  single.elevation_m = {12.5};
  EXPECT_EQ(single.elevation_at(-40.0, 70.0), 12.5);
  EXPECT_EQ(single.elevation_at(0.0, 0.0), 12.5);
}

TEST(CityIds, BuildingIdxMapsIdsToIndices) {
  City city = tiny_city();
  city.buildings.building_id = {7};
  city.index_ids();
  EXPECT_EQ(city.building_idx(7), 0);
  EXPECT_EQ(city.building_idx(8), -1);
}

TEST(CityIds, BuildingIdxIsMinusOneBeforeIndexing) {
  const City city = tiny_city();
  EXPECT_EQ(city.building_idx(7), -1);
}

TEST(CityIds, DuplicateBuildingIdIsAnInternalError) {
  City city;
  city.buildings.building_id = {3, 5, 3};
  const std::string message = internal_error_message([&] { city.index_ids(); });
  EXPECT_NE(message.find("buildings.building_id 3 appears more than once"), std::string::npos)
      << message;
  EXPECT_NE(message.find("city.cpp:"), std::string::npos) << message;
}

TEST(CityConsistency, ConsistentCityPasses) {
  const City city = tiny_city();
  EXPECT_NO_THROW(city.check_consistency());
  EXPECT_NO_THROW(City().check_consistency());
}

TEST(CityConsistency, ShortColumnNamesTheColumn) {
  City city = tiny_city();
  city.buildings.height_m.clear();
  const std::string message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("buildings.height_m has 0 entries, expected 1"), std::string::npos)
      << message;
}

TEST(CityConsistency, BadRaggedOffsetsAreReported) {
  City city = tiny_city();
  city.buildings.vertex_begin = {0, 5};
  std::string message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("buildings.vertex_begin ends at 5, expected 4"), std::string::npos)
      << message;

  city = tiny_city();
  city.surfaces.vertex_begin = {0, 2};
  city.surfaces.vertex_x_m.resize(2);
  city.surfaces.vertex_y_m.resize(2);
  city.surfaces.vertex_z_m.resize(2);
  message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("surfaces.vertex_begin[0] holds 2 items, expected at least 3"),
            std::string::npos)
      << message;

  city = tiny_city();
  city.surfaces.ring_begin = {0, 2};
  message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("surfaces.ring_begin ends at 2, expected 1"), std::string::npos)
      << message;
}

TEST(CityConsistency, SurfaceWithAHoleIsConsistent) {
  City city = tiny_city();
  Surfaces& s = city.surfaces;
  s.area_m2 = {76.0};
  s.vertex_begin = {0, 4, 8};
  s.vertex_x_m = {0.0, 10.0, 10.0, 0.0, 4.0, 4.0, 6.0, 6.0};
  s.vertex_y_m = {0.0, 0.0, 8.0, 8.0, 3.0, 5.0, 5.0, 3.0};
  s.vertex_z_m.assign(8, 6.0);
  const std::string message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("surfaces.ring_begin ends at 1, expected 2"), std::string::npos)
      << message;
  s.ring_begin = {0, 2};
  EXPECT_NO_THROW(city.check_consistency());
}

TEST(CityConsistency, IndexOutOfRangeIsReported) {
  City city = tiny_city();
  city.surfaces.building_idx = {5};
  std::string message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("surfaces.building_idx[0] = 5 is outside [0, 1)"), std::string::npos)
      << message;

  city = tiny_city();
  city.streets.to_node_idx = {2};
  message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("streets.to_node_idx[0] = 2 is outside [0, 2)"), std::string::npos)
      << message;
}

TEST(CityConsistency, DuplicateIdsAndBadTerrainAreReported) {
  City city = tiny_city();
  city.streets.node_id = {4, 4};
  std::string message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("streets.node_id 4 appears more than once"), std::string::npos) << message;

  city = tiny_city();
  city.terrain.nx = 2;
  city.terrain.ny = 2;
  city.terrain.elevation_m = {1.0, 2.0, 3.0};
  message = internal_error_message([&] { city.check_consistency(); });
  EXPECT_NE(message.find("terrain.elevation_m has 3 entries, expected 4"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace citytwin::sim
