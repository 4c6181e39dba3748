#include <citytwin/bikeshare/station_sources.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

// New-station placement by greedy maximal covering (docs/models/bikeshare.md#new-station-placement).
namespace citytwin::bikeshare {
namespace {

constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean radius
constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

/// Local equirectangular frame about a reference latitude: x east, y north [m].
struct LocalFrame {
  double lat0_deg = 0.0;
  double lon0_deg = 0.0;
  double m_per_deg_lat = kEarthRadiusM * kDegToRad;
  double m_per_deg_lon = kEarthRadiusM * kDegToRad;

  [[nodiscard]] double x(double lon_deg) const { return (lon_deg - lon0_deg) * m_per_deg_lon; }
  [[nodiscard]] double y(double lat_deg) const { return (lat_deg - lat0_deg) * m_per_deg_lat; }
  [[nodiscard]] double lon(double x_m) const { return lon0_deg + x_m / m_per_deg_lon; }
  [[nodiscard]] double lat(double y_m) const { return lat0_deg + y_m / m_per_deg_lat; }
};

/// Squared distance between two points [m2].
double dist2(double ax, double ay, double bx, double by) {
  const double dx = ax - bx;
  const double dy = ay - by;
  return dx * dx + dy * dy;
}

void check_config(const PlacementConfig& c, std::int32_t n_new) {
  if (!(c.coverage_radius_m > 0.0) || !std::isfinite(c.coverage_radius_m)) {
    throw std::invalid_argument("place_new_stations: coverage_radius_m must be > 0, got " +
                                std::to_string(c.coverage_radius_m));
  }
  if (!(c.min_spacing_m >= 0.0) || !std::isfinite(c.min_spacing_m)) {
    throw std::invalid_argument("place_new_stations: min_spacing_m must be >= 0, got " +
                                std::to_string(c.min_spacing_m));
  }
  if (c.capacity <= 0) {
    throw std::invalid_argument("place_new_stations: capacity must be > 0, got " +
                                std::to_string(c.capacity));
  }
  if (!(c.grid_cell_m >= 0.0) || !std::isfinite(c.grid_cell_m)) {
    throw std::invalid_argument("place_new_stations: grid_cell_m must be >= 0, got " +
                                std::to_string(c.grid_cell_m));
  }
  if (n_new < 0) {
    throw std::invalid_argument("place_new_stations: n_new must be >= 0, got " +
                                std::to_string(n_new));
  }
}

}  // namespace

StationTable place_new_stations(const StationTable& existing, std::span<const double> demand_lat_deg,
                                std::span<const double> demand_lon_deg,
                                std::span<const double> demand_weight, std::int32_t n_new,
                                const PlacementConfig& config) {
  check_config(config, n_new);
  const std::size_t n_demand = demand_lat_deg.size();
  if (demand_lon_deg.size() != n_demand || demand_weight.size() != n_demand) {
    throw std::invalid_argument("place_new_stations: demand_lat_deg, demand_lon_deg and "
                                "demand_weight must have the same length, got " +
                                std::to_string(n_demand) + ", " +
                                std::to_string(demand_lon_deg.size()) + ", " +
                                std::to_string(demand_weight.size()));
  }
  for (std::size_t i = 0; i < n_demand; ++i) {
    if (!std::isfinite(demand_lat_deg[i]) || !std::isfinite(demand_lon_deg[i]) ||
        !(demand_weight[i] >= 0.0) || !std::isfinite(demand_weight[i])) {
      throw std::invalid_argument("place_new_stations: demand point " + std::to_string(i) +
                                  " needs finite lat/lon and a finite weight >= 0");
    }
  }

  StationTable out;
  out.source_file = "placement";
  if (n_new == 0 || n_demand == 0) return out;

  // local frame about the mean demand position
  LocalFrame frame;
  for (std::size_t i = 0; i < n_demand; ++i) {
    frame.lat0_deg += demand_lat_deg[i];
    frame.lon0_deg += demand_lon_deg[i];
  }
  frame.lat0_deg /= static_cast<double>(n_demand);
  frame.lon0_deg /= static_cast<double>(n_demand);
  frame.m_per_deg_lon = kEarthRadiusM * kDegToRad * std::cos(frame.lat0_deg * kDegToRad);
  std::vector<double> dx(n_demand), dy(n_demand);
  for (std::size_t i = 0; i < n_demand; ++i) {
    dx[i] = frame.x(demand_lon_deg[i]);
    dy[i] = frame.y(demand_lat_deg[i]);
  }

  // candidate sites: the demand points, or grid centres over their bounding box
  std::vector<double> cx, cy;
  if (config.grid_cell_m == 0.0) {
    cx = dx;
    cy = dy;
  } else {
    double min_x = dx[0], max_x = dx[0], min_y = dy[0], max_y = dy[0];
    for (std::size_t i = 1; i < n_demand; ++i) {
      min_x = std::min(min_x, dx[i]);
      max_x = std::max(max_x, dx[i]);
      min_y = std::min(min_y, dy[i]);
      max_y = std::max(max_y, dy[i]);
    }
    const auto nx = static_cast<std::int64_t>(std::floor((max_x - min_x) / config.grid_cell_m)) + 1;
    const auto ny = static_cast<std::int64_t>(std::floor((max_y - min_y) / config.grid_cell_m)) + 1;
    if (nx * ny > 4'000'000) {
      throw std::invalid_argument("place_new_stations: grid_cell_m " +
                                  std::to_string(config.grid_cell_m) +
                                  " gives more than 4e6 candidate sites; use a coarser grid");
    }
    for (std::int64_t row = 0; row < ny; ++row) {
      for (std::int64_t col = 0; col < nx; ++col) {
        cx.push_back(min_x + (static_cast<double>(col) + 0.5) * config.grid_cell_m);
        cy.push_back(min_y + (static_cast<double>(row) + 0.5) * config.grid_cell_m);
      }
    }
  }
  const std::size_t n_cand = cx.size();

  // stations that constrain spacing, starting with the existing ones
  std::vector<double> sx, sy;
  for (std::size_t s = 0; s < existing.lat_deg.size(); ++s) {
    sx.push_back(frame.x(existing.lon_deg[s]));
    sy.push_back(frame.y(existing.lat_deg[s]));
  }

  // demand already covered by an existing station
  const double r2 = config.coverage_radius_m * config.coverage_radius_m;
  const double spacing2 = config.min_spacing_m * config.min_spacing_m;
  std::vector<std::uint8_t> covered(n_demand, 0);
  for (std::size_t i = 0; i < n_demand; ++i) {
    for (std::size_t s = 0; s < sx.size() && covered[i] == 0; ++s) {
      if (dist2(dx[i], dy[i], sx[s], sy[s]) <= r2) covered[i] = 1;
    }
  }

  // coverage lists: demand points within the radius of each candidate
  std::vector<std::vector<std::int32_t>> covers(n_cand);
  for (std::size_t c = 0; c < n_cand; ++c) {
    for (std::size_t i = 0; i < n_demand; ++i) {
      if (dist2(cx[c], cy[c], dx[i], dy[i]) <= r2) covers[c].push_back(static_cast<std::int32_t>(i));
    }
  }

  // candidates too close to an existing station are out from the start
  std::vector<std::uint8_t> admissible(n_cand, 1);
  for (std::size_t c = 0; c < n_cand; ++c) {
    for (std::size_t s = 0; s < sx.size(); ++s) {
      if (dist2(cx[c], cy[c], sx[s], sy[s]) < spacing2) admissible[c] = 0;
    }
  }

  // greedy picks: largest uncovered weight, ties to the lowest candidate index
  for (std::int32_t k = 0; k < n_new; ++k) {
    std::int64_t best = -1;
    double best_gain = 0.0;
    for (std::size_t c = 0; c < n_cand; ++c) {
      if (admissible[c] == 0) continue;
      double gain = 0.0;
      for (const std::int32_t i : covers[c]) {
        if (covered[static_cast<std::size_t>(i)] == 0) gain += demand_weight[static_cast<std::size_t>(i)];
      }
      if (gain > best_gain) {
        best_gain = gain;
        best = static_cast<std::int64_t>(c);
      }
    }
    if (best < 0) break;

    // open the station: cover its demand, block candidates within the spacing
    const auto b = static_cast<std::size_t>(best);
    for (const std::int32_t i : covers[b]) covered[static_cast<std::size_t>(i)] = 1;
    for (std::size_t c = 0; c < n_cand; ++c) {
      if (dist2(cx[c], cy[c], cx[b], cy[b]) < spacing2) admissible[c] = 0;
    }
    admissible[b] = 0;

    const std::string id = "new-" + std::to_string(k + 1);
    out.index_of.emplace(id, k);
    out.station_id.push_back(id);
    out.name.push_back("New station " + std::to_string(k + 1));
    out.address.emplace_back();
    out.city.emplace_back();
    out.lat_deg.push_back(config.grid_cell_m == 0.0 ? demand_lat_deg[b] : frame.lat(cy[b]));
    out.lon_deg.push_back(config.grid_cell_m == 0.0 ? demand_lon_deg[b] : frame.lon(cx[b]));
    out.capacity.push_back(config.capacity);
  }
  return out;
}

}  // namespace citytwin::bikeshare
