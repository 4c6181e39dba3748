#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/city.hpp>
#include <citytwin/solar/readers/city3d.hpp>

// Shared by the CityJSON and GeoJSON readers: polygons in, repaired surfaces and buildings out.
namespace citytwin::solar::detail {

/// Reads a whole input file; throws InputError naming the file and `kind` ("CityJSON",
/// "GeoJSON") when it cannot be opened.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path, std::string_view kind);

/// A 3D point in the file's projected CRS.
struct Point3 {
  double x_m = 0.0;  ///< [m] projected x (east)
  double y_m = 0.0;  ///< [m] projected y (north)
  double z_m = 0.0;  ///< [m] elevation
};

/// A ring of a polygon; open or closed (a repeated first vertex is dropped).
using Ring3 = std::vector<Point3>;

/// What a polygon is expected to be: from semantics, or unknown (classified by its normal).
enum class Facing : std::uint8_t { kRoof, kWall, kGround, kUnknown };

/// Attributes of a building read from the file; NaN / empty / 0 when absent.
struct BuildingAttributes {
  std::string source_id;                                                 ///< id in the file
  double measured_height_m = std::numeric_limits<double>::quiet_NaN();   ///< [m] ground to top
  double ground_elevation_m = std::numeric_limits<double>::quiet_NaN();  ///< [m] base elevation
  std::string roof_type;      ///< roof type code or name ("1000", "flat;shed")
  std::string use;            ///< function / usage code or word
  std::int32_t n_floors = 0;  ///< [1] storeys above ground, 0 when unknown
};

/// Collects the polygons of one building at a time, repairs and classifies them, and appends the
/// building and its surfaces to a City (docs/models/solar.md#3d-city-mesh).
class CityBuilder {
 public:
  CityBuilder(const City3dOptions& options, ReadReport& report);

  /// Starts a shell of the current building (a solid's outer shell or a MultiSurface). Its
  /// orientation is fixed by its signed volume; when it encloses none, each wall is made to face
  /// out of the ground footprint (else away from the building centre).
  void begin_shell();
  /// Adds a polygon (rings[0] outer, the others holes) to the current shell.
  void add_polygon(std::vector<Ring3> rings, Facing facing);
  /// Ends the current building: repairs and appends it, or skips it with a reason.
  void end_building(const BuildingAttributes& attributes);
  /// Drops the polygons of the current building and records why.
  void skip_building(const std::string& source_id, const std::string& reason);

  /// The finished city: CRS, origin from the bounding-box centre, ids indexed, checked. Throws
  /// InputError naming `file` and `crs_key` when PROJ cannot use the CRS, or when no building
  /// was read.
  [[nodiscard]] sim::City finish(const std::string& name, const std::string& crs,
                                 const std::string& file, const std::string& crs_key);

 private:
  struct Pending {
    std::vector<Ring3> rings;
    Facing facing = Facing::kUnknown;
    std::int32_t shell = 0;
  };

  const City3dOptions& options_;
  ReadReport& report_;
  sim::City city_;
  std::vector<Pending> pending_;
  std::vector<bool> shell_closed_;  // per shell: encloses a volume (walls trusted)
};

/// Main use from a function/usage code or word (docs/models/solar.md#3d-city-mesh).
[[nodiscard]] sim::BuildingUse map_use(const std::string& use);

/// Roof shape from a roof type code or name; kOther when unknown, mixed or empty.
[[nodiscard]] sim::RoofShape map_roof(const std::string& roof_type, bool* known);

/// Line and column (1-based) of byte `offset` of `text`.
void line_column(std::string_view text, std::size_t offset, int& line, int& column);

}  // namespace citytwin::solar::detail
