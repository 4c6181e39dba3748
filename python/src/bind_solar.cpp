// citytwin._core.solar: the sun, sky and PV physics of the rooftop-PV model on NumPy arrays.
// The pvlib-named API with its defaults lives in python/citytwin/solar.py.
#include <filesystem>
#include <optional>
#include <span>
#include <vector>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/readers/weather.hpp>
#include <citytwin/solar/pv_chain.hpp>
#include <citytwin/solar/solar_position.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> in(const Array& a) { return {a.data(), static_cast<std::size_t>(a.size())}; }

Array like(py::ssize_t n) { return Array(n); }

std::span<double> out(Array& a) { return {a.mutable_data(), static_cast<std::size_t>(a.size())}; }

py::ssize_t longest(std::initializer_list<const Array*> arrays) {
  py::ssize_t n = 0;
  for (const Array* a : arrays) n = std::max(n, a->size());
  return n;
}

py::dict solar_position(const Array& times_s, double latitude_deg, double longitude_deg,
                        double altitude_m, double pressure_pa, double temperature_c,
                        double delta_t_s, double atmos_refract_deg) {
  const py::ssize_t n = times_s.size();
  Array apparent_zenith = like(n), zenith = like(n), apparent_elevation = like(n),
        elevation = like(n), azimuth = like(n), equation_of_time = like(n);
  {
    const py::gil_scoped_release release;
    solar::solar_position(in(times_s), latitude_deg, longitude_deg,
                          {out(apparent_zenith), out(zenith), out(apparent_elevation),
                           out(elevation), out(azimuth), out(equation_of_time)},
                          altitude_m, pressure_pa, temperature_c, delta_t_s, atmos_refract_deg);
  }
  py::dict result;
  result["apparent_zenith"] = apparent_zenith;
  result["zenith"] = zenith;
  result["apparent_elevation"] = apparent_elevation;
  result["elevation"] = elevation;
  result["azimuth"] = azimuth;
  result["equation_of_time"] = equation_of_time;
  return result;
}

Array extra_radiation(const Array& times_s, double solar_constant_wm2) {
  Array result = like(times_s.size());
  solar::extra_radiation(in(times_s), out(result), solar_constant_wm2);
  return result;
}

Array relative_airmass(const Array& apparent_zenith_deg) {
  Array result = like(apparent_zenith_deg.size());
  solar::relative_airmass(in(apparent_zenith_deg), out(result));
  return result;
}

Array aoi(const Array& surface_tilt_deg, const Array& surface_azimuth_deg,
          const Array& solar_zenith_deg, const Array& solar_azimuth_deg) {
  Array result = like(longest({&surface_tilt_deg, &surface_azimuth_deg, &solar_zenith_deg, &solar_azimuth_deg}));
  solar::aoi(in(surface_tilt_deg), in(surface_azimuth_deg), in(solar_zenith_deg),
             in(solar_azimuth_deg), out(result));
  return result;
}

py::dict poa_irradiance(const Array& surface_tilt_deg, const Array& surface_azimuth_deg,
                        const Array& solar_zenith_deg, const Array& solar_azimuth_deg,
                        const Array& dni_wm2, const Array& ghi_wm2, const Array& dhi_wm2,
                        const Array& dni_extra_wm2, const Array& airmass, const Array& albedo_frac,
                        const std::string& model) {
  const solar::SkyModel sky = solar::sky_model_from_name(model);
  const py::ssize_t n = longest({&surface_tilt_deg, &surface_azimuth_deg, &solar_zenith_deg,
                                 &solar_azimuth_deg, &dni_wm2, &ghi_wm2, &dhi_wm2, &dni_extra_wm2,
                                 &airmass, &albedo_frac});
  Array global = like(n), direct = like(n), diffuse = like(n), sky_diffuse = like(n),
        ground = like(n), isotropic = like(n), circumsolar = like(n), horizon = like(n);
  solar::poa_irradiance({in(surface_tilt_deg), in(surface_azimuth_deg), in(solar_zenith_deg),
                         in(solar_azimuth_deg), in(dni_wm2), in(ghi_wm2), in(dhi_wm2),
                         in(dni_extra_wm2), in(airmass), in(albedo_frac)},
                        {out(global), out(direct), out(diffuse), out(sky_diffuse), out(ground),
                         out(isotropic), out(circumsolar), out(horizon)},
                        sky);
  py::dict result;
  result["poa_global"] = global;
  result["poa_direct"] = direct;
  result["poa_diffuse"] = diffuse;
  result["poa_sky_diffuse"] = sky_diffuse;
  result["poa_ground_diffuse"] = ground;
  result["sky_isotropic"] = isotropic;
  result["sky_circumsolar"] = circumsolar;
  result["sky_horizon"] = horizon;
  return result;
}

Array iam_physical(const Array& aoi_deg, double refractive_index, double glass_extinction_per_m,
                   double glass_thickness_m) {
  Array result = like(aoi_deg.size());
  solar::iam_physical(in(aoi_deg), out(result), refractive_index, glass_extinction_per_m, glass_thickness_m);
  return result;
}

Array sapm_cell_temperature(const Array& poa_global_wm2, const Array& temp_air_c,
                            const Array& wind_speed_mps, double a, double b_s_per_m,
                            double delta_t_c, double irrad_ref_wm2) {
  Array result = like(longest({&poa_global_wm2, &temp_air_c, &wind_speed_mps}));
  solar::sapm_cell_temperature(in(poa_global_wm2), in(temp_air_c), in(wind_speed_mps), out(result),
                               a, b_s_per_m, delta_t_c, irrad_ref_wm2);
  return result;
}

Array faiman_cell_temperature(const Array& poa_global_wm2, const Array& temp_air_c,
                              const Array& wind_speed_mps, double u0_w_m2k, double u1_w_s_m3k) {
  Array result = like(longest({&poa_global_wm2, &temp_air_c, &wind_speed_mps}));
  solar::faiman_cell_temperature(in(poa_global_wm2), in(temp_air_c), in(wind_speed_mps), out(result),
                                 u0_w_m2k, u1_w_s_m3k);
  return result;
}

Array pvwatts_dc(const Array& effective_irradiance_wm2, const Array& temp_cell_c, double pdc0_w,
                 double gamma_pdc_per_c, double temp_ref_c) {
  Array result = like(longest({&effective_irradiance_wm2, &temp_cell_c}));
  solar::pvwatts_dc(in(effective_irradiance_wm2), in(temp_cell_c), out(result), pdc0_w,
                    gamma_pdc_per_c, temp_ref_c);
  return result;
}

Array pvwatts_inverter(const Array& pdc_w, double pdc0_w, double eta_inv_nom_frac,
                       double eta_inv_ref_frac) {
  Array result = like(pdc_w.size());
  solar::pvwatts_inverter(in(pdc_w), out(result), pdc0_w, eta_inv_nom_frac, eta_inv_ref_frac);
  return result;
}

template <typename T>
py::array_t<T> copy(const std::vector<T>& values) {
  return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

/// Reads an EPW or TMY3 file: (columns, metadata) with pvlib's names; time is Unix seconds at
/// the end of each interval.
py::tuple read_weather(const std::filesystem::path& path, const std::string& time_zone_policy,
                       std::optional<double> utc_offset_h) {
  solar::WeatherReadOptions options;
  options.time_zone_policy = solar::time_zone_policy_from_name(time_zone_policy);
  options.utc_offset_h = utc_offset_h;
  const solar::WeatherSeries w = solar::read_weather(path, options);
  py::dict data;
  data["time_s"] = copy(w.time_utc_s);
  data["ghi"] = copy(w.ghi_wm2);
  data["dni"] = copy(w.dni_wm2);
  data["dhi"] = copy(w.dhi_wm2);
  data["temp_air"] = copy(w.temp_air_c);
  data["wind_speed"] = copy(w.wind_speed_mps);
  data["albedo"] = copy(w.albedo_frac);
  data["pressure"] = copy(w.pressure_pa);
  py::dict meta;
  meta["city"] = w.city;
  meta["state-prov"] = w.region;
  meta["country"] = w.country;
  meta["data_type"] = w.data_source;
  meta["WMO_code"] = w.station_id;
  meta["latitude"] = w.latitude_deg;
  meta["longitude"] = w.longitude_deg;
  meta["TZ"] = w.utc_offset_h;
  meta["applied_TZ"] = w.applied_utc_offset_h;
  meta["altitude"] = w.elevation_m;
  meta["interval_s"] = w.interval_s;
  meta["typical_year"] = w.typical_year;
  return py::make_tuple(data, meta);
}

}  // namespace

void bind_solar(py::module_& module) {
  py::module_ m = module.def_submodule("solar", "Sun, sky and PV physics on NumPy arrays (C++ names).");
  m.def("solar_position", &solar_position, "Sun position for n instants at one observer.",
        py::arg("times_s"), py::arg("latitude_deg"), py::arg("longitude_deg"), py::arg("altitude_m"),
        py::arg("pressure_pa"), py::arg("temperature_c"), py::arg("delta_t_s"), py::arg("atmos_refract_deg"));
  m.def("extra_radiation", &extra_radiation, "Extraterrestrial normal irradiance (Spencer).",
        py::arg("times_s"), py::arg("solar_constant_wm2"));
  m.def("relative_airmass", &relative_airmass, "Relative optical air mass, Kasten & Young (1989).",
        py::arg("apparent_zenith_deg"));
  m.def("aoi", &aoi, "Angle of incidence of the sun on a plane.", py::arg("surface_tilt_deg"),
        py::arg("surface_azimuth_deg"), py::arg("solar_zenith_deg"), py::arg("solar_azimuth_deg"));
  m.def("poa_irradiance", &poa_irradiance, "Plane-of-array irradiance and its components.",
        py::arg("surface_tilt_deg"), py::arg("surface_azimuth_deg"), py::arg("solar_zenith_deg"),
        py::arg("solar_azimuth_deg"), py::arg("dni_wm2"), py::arg("ghi_wm2"), py::arg("dhi_wm2"),
        py::arg("dni_extra_wm2"), py::arg("airmass"), py::arg("albedo_frac"), py::arg("model"));
  m.def("iam_physical", &iam_physical, "Incidence angle modifier of the physical model.",
        py::arg("aoi_deg"), py::arg("refractive_index"), py::arg("glass_extinction_per_m"),
        py::arg("glass_thickness_m"));
  m.def("sapm_cell_temperature", &sapm_cell_temperature, "Cell temperature by the Sandia model.",
        py::arg("poa_global_wm2"), py::arg("temp_air_c"), py::arg("wind_speed_mps"), py::arg("a"),
        py::arg("b_s_per_m"), py::arg("delta_t_c"), py::arg("irrad_ref_wm2"));
  m.def("faiman_cell_temperature", &faiman_cell_temperature, "Cell temperature by Faiman (2008).",
        py::arg("poa_global_wm2"), py::arg("temp_air_c"), py::arg("wind_speed_mps"), py::arg("u0_w_m2k"),
        py::arg("u1_w_s_m3k"));
  m.def("pvwatts_dc", &pvwatts_dc, "DC power by the PVWatts v5 model.", py::arg("effective_irradiance_wm2"),
        py::arg("temp_cell_c"), py::arg("pdc0_w"), py::arg("gamma_pdc_per_c"), py::arg("temp_ref_c"));
  m.def("read_weather", &read_weather, "Reads an EPW or TMY3 weather file.", py::arg("path"),
        py::arg("time_zone_policy"), py::arg("utc_offset_h"));
  m.def("pvwatts_inverter", &pvwatts_inverter, "AC power by the PVWatts v5 inverter model.",
        py::arg("pdc_w"), py::arg("pdc0_w"), py::arg("eta_inv_nom_frac"), py::arg("eta_inv_ref_frac"));
}

}  // namespace citytwin::python
