#include <citytwin/mobility/count_fit.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace citytwin::mobility {
namespace {

constexpr double kEarthRadiusM = 6371008.8;  // mean Earth radius (IUGG)

/// One "label  value unit" line of the fit table.
std::string table_row(const char* label, double value, const char* unit) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "  %-28s %12.4f %s\n", label, value, unit);
  return buffer;
}

}  // namespace

double geh(double modelled_veh_per_h, double counted_veh_per_h) {
  const double sum = modelled_veh_per_h + counted_veh_per_h;
  if (sum <= 0.0) return 0.0;
  const double diff = modelled_veh_per_h - counted_veh_per_h;
  return std::sqrt(2.0 * diff * diff / sum);
}

FitSummary compare_flows(std::span<const double> simulated_veh_per_h,
                         std::span<const double> observed_veh_per_h) {
  if (simulated_veh_per_h.size() != observed_veh_per_h.size()) {
    throw std::invalid_argument("simulated_veh_per_h: length " +
                                std::to_string(simulated_veh_per_h.size()) +
                                " differs from observed_veh_per_h length " +
                                std::to_string(observed_veh_per_h.size()));
  }
  FitSummary fit;
  // per-hour errors over hours where both flows are present
  double sum_sq = 0.0, sum_abs = 0.0, sum_rel = 0.0, sum_geh = 0.0, sum_obs = 0.0, sum_sim = 0.0;
  std::int64_t n_rel = 0, n_below_5 = 0;
  for (std::size_t i = 0; i < observed_veh_per_h.size(); ++i) {
    const double m = simulated_veh_per_h[i];
    const double c = observed_veh_per_h[i];
    if (std::isnan(m) || std::isnan(c)) {
      ++fit.n_hours_skipped;
      continue;
    }
    if (m < 0.0 || c < 0.0) {
      throw std::invalid_argument("flows must be >= 0 (hour " + std::to_string(i) +
                                  ": simulated " + std::to_string(m) + ", observed " +
                                  std::to_string(c) + ")");
    }
    const double g = geh(m, c);
    fit.geh_per_hour.push_back(g);
    sum_geh += g;
    if (g < 5.0) ++n_below_5;
    sum_sq += (m - c) * (m - c);
    sum_abs += std::abs(m - c);
    if (c > 0.0) {
      sum_rel += (m - c) / c;
      ++n_rel;
    }
    sum_obs += c;
    sum_sim += m;
    ++fit.n_hours;
  }
  if (fit.n_hours == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    fit.share_geh_below_5_frac = fit.mean_geh = fit.rmse_veh_per_h = fit.mae_veh_per_h = nan;
    fit.mean_relative_error_frac = fit.r2 = fit.mean_observed_veh_per_h = nan;
    fit.mean_simulated_veh_per_h = nan;
    return fit;
  }
  // means
  const auto n = static_cast<double>(fit.n_hours);
  fit.share_geh_below_5_frac = static_cast<double>(n_below_5) / n;
  fit.mean_geh = sum_geh / n;
  fit.rmse_veh_per_h = std::sqrt(sum_sq / n);
  fit.mae_veh_per_h = sum_abs / n;
  fit.mean_relative_error_frac =
      n_rel > 0 ? sum_rel / static_cast<double>(n_rel) : std::numeric_limits<double>::quiet_NaN();
  fit.mean_observed_veh_per_h = sum_obs / n;
  fit.mean_simulated_veh_per_h = sum_sim / n;
  // coefficient of determination around the observed mean
  double ss_tot = 0.0;
  for (std::size_t i = 0; i < observed_veh_per_h.size(); ++i) {
    const double c = observed_veh_per_h[i];
    if (std::isnan(c) || std::isnan(simulated_veh_per_h[i])) continue;
    ss_tot += (c - fit.mean_observed_veh_per_h) * (c - fit.mean_observed_veh_per_h);
  }
  fit.r2 = ss_tot > 0.0 ? 1.0 - sum_sq / ss_tot : std::numeric_limits<double>::quiet_NaN();
  return fit;
}

std::string FitSummary::format(const std::string& title) const {
  std::string out = title + "\n";
  out += table_row("hours compared", static_cast<double>(n_hours), "h");
  out += table_row("hours skipped (missing)", static_cast<double>(n_hours_skipped), "h");
  out += table_row("share GEH < 5", 100.0 * share_geh_below_5_frac, "%");
  out += table_row("mean GEH", mean_geh, "");
  out += table_row("RMSE", rmse_veh_per_h, "veh/h");
  out += table_row("MAE", mae_veh_per_h, "veh/h");
  out += table_row("mean relative error", 100.0 * mean_relative_error_frac, "%");
  out += table_row("R^2", r2, "");
  out += table_row("mean observed", mean_observed_veh_per_h, "veh/h");
  out += table_row("mean simulated", mean_simulated_veh_per_h, "veh/h");
  return out;
}

double point_segment_distance(double px, double py, double x0, double y0, double x1, double y1) {
  // project the point onto the segment, clamped to its ends
  const double dx = x1 - x0;
  const double dy = y1 - y0;
  const double length_sq = dx * dx + dy * dy;
  const double t = length_sq > 0.0 ? std::clamp(((px - x0) * dx + (py - y0) * dy) / length_sq, 0.0, 1.0)
                                   : 0.0;
  return std::hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

std::optional<LinkMatch> attach_counter_xy(std::span<const LinkSegment> segments_m, double x_m,
                                           double y_m, double max_distance_m) {
  if (!(max_distance_m >= 0.0)) {
    throw std::invalid_argument("max_distance_m must be >= 0 (got " +
                                std::to_string(max_distance_m) + ")");
  }
  // nearest segment, first one on ties
  std::optional<LinkMatch> best;
  for (const LinkSegment& s : segments_m) {
    const double d = point_segment_distance(x_m, y_m, s.x0, s.y0, s.x1, s.y1);
    if (d <= max_distance_m && (!best || d < best->distance_m)) best = LinkMatch{s.link_idx, d};
  }
  return best;
}

std::optional<LinkMatch> attach_counter_lonlat(std::span<const LinkSegment> segments_deg,
                                               double lat_deg, double lon_deg,
                                               double max_distance_m) {
  // local equirectangular plane centred on the counter
  const double rad = std::numbers::pi / 180.0;
  const double m_per_deg_lat = kEarthRadiusM * rad;
  const double m_per_deg_lon = m_per_deg_lat * std::cos(lat_deg * rad);
  std::vector<LinkSegment> projected;
  projected.reserve(segments_deg.size());
  for (const LinkSegment& s : segments_deg) {
    projected.push_back({s.link_idx, (s.x0 - lon_deg) * m_per_deg_lon, (s.y0 - lat_deg) * m_per_deg_lat,
                         (s.x1 - lon_deg) * m_per_deg_lon, (s.y1 - lat_deg) * m_per_deg_lat});
  }
  return attach_counter_xy(projected, 0.0, 0.0, max_distance_m);
}

std::optional<std::int64_t> attach_counter_by_id(std::span<const std::int64_t> link_ids,
                                                 std::int64_t link_id) {
  const auto it = std::find(link_ids.begin(), link_ids.end(), link_id);
  if (it == link_ids.end()) return std::nullopt;
  return static_cast<std::int64_t>(it - link_ids.begin());
}

}  // namespace citytwin::mobility
