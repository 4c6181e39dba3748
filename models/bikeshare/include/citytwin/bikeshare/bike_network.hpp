#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <citytwin/bikeshare/station_table.hpp>
#include <citytwin/sim/city.hpp>

namespace citytwin::bikeshare {

/// Cycling speed on a street segment as a function of its grade
/// (docs/models/bikeshare.md#riding-on-the-street-network):
///   grade = (z_to - z_from) / length, speed = base_speed_mps * f(grade),
///   f = max(min_speed_frac, 1 - uphill_slowdown_per_grade * grade)       for grade > 0,
///   f = min(max_speed_frac, 1 + downhill_speedup_per_grade * |grade|)    for grade <= 0.
struct BikeSpeedConfig {
  double base_speed_mps = 4.5;              ///< [m/s] riding speed on the flat, > 0
  double uphill_slowdown_per_grade = 4.0;   ///< [-] relative speed loss per unit uphill grade, >= 0
  double downhill_speedup_per_grade = 2.0;  ///< [-] relative speed gain per unit downhill grade, >= 0
  double min_speed_frac = 0.3;              ///< [-] floor of f on steep climbs, in (0, 1]
  double max_speed_frac = 1.5;              ///< [-] cap of f on descents, >= 1
  double access_speed_mps = 1.4;            ///< [m/s] station <-> nearest street node (walking), > 0
};

/// Station-to-station cycling on the street network. Matrices are n_stations x n_stations,
/// row-major, entry [i * n + j] from station i to station j; the diagonal is 0.
/// Unreachable pairs hold +infinity in all three matrices.
struct BikeNetworkTimes {
  std::vector<double> time_s;      ///< [s] fastest riding time incl. access at both ends
  std::vector<double> distance_m;  ///< [m] length of that fastest route incl. access legs
  std::vector<double> climb_m;     ///< [m] sum of the positive elevation gains along it
  std::int32_t n_unreachable = 0;  ///< ordered pairs i != j with no route
  std::vector<std::int32_t> station_node_idx;  ///< [n_stations] nearest street node (-1: no streets)
  std::vector<double> access_m;    ///< [n_stations] [m] straight line station -> that node
};

/// Fastest cycling routes between every pair of stations on city.streets. Every street segment
/// (paths included) is ridable in both directions (one-way streets are usually open to bikes
/// contra-flow in residential areas; documented simplification). Segment time = length_m /
/// speed(grade) with the grade from node_z_m; one Dijkstra per station (own binary heap, ties by
/// node index), stations snapped to the nearest street node with the straight-line access leg
/// ridden at access_speed_mps at both ends. Parallel over stations (OpenMP static); results are
/// identical on any number of threads. Throws std::invalid_argument for spans of different
/// lengths or a bad config. `station_x_m`/`station_y_m` are in the city's projected metres.
[[nodiscard]] BikeNetworkTimes station_network_times(const sim::City& city,
                                                     std::span<const double> station_x_m,
                                                     std::span<const double> station_y_m,
                                                     const BikeSpeedConfig& config);

/// Projects the stations' WGS84 lat/lon into the city's CRS (City::crs, an "EPSG:nnnn" code or
/// a PROJ string) through PROJ; resizes x_m and y_m to n_stations. Throws std::invalid_argument
/// when the city has no CRS or PROJ cannot build the transformation. Thread-safe.
void station_xy(const sim::City& city, const StationTable& stations, std::vector<double>& x_m,
                std::vector<double>& y_m);

/// The inverse of station_xy(): city metres to WGS84 lat/lon (e.g. for new stations placed in
/// the city frame); resizes lat_deg and lon_deg to x_m.size(). Throws like station_xy().
void city_lat_lon(const sim::City& city, std::span<const double> x_m, std::span<const double> y_m,
                  std::vector<double>& lat_deg, std::vector<double>& lon_deg);

}  // namespace citytwin::bikeshare
