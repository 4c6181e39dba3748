"""Sun, sky and PV physics of citytwin's rooftop-PV model, with pvlib's names and conventions.

Angles in degrees, azimuths east of north, irradiance in W/m^2, temperatures in degC. Inputs are
NumPy arrays (or scalars, broadcast); outputs are NumPy arrays, or dicts of arrays. ``times``
accepts ``numpy.datetime64`` values (UTC) or int64 Unix seconds. These are the same C++ functions
that the model uses (docs/models/solar.md).
"""

import numpy as np

from ._core import solar as _solar

__all__ = [
    "aoi",
    "extra_radiation",
    "faiman_cell_temperature",
    "iam_physical",
    "poa_irradiance",
    "pvwatts_dc",
    "pvwatts_inverter",
    "read_epw",
    "relative_airmass",
    "sapm_cell_temperature",
    "solar_position",
    "unix_seconds",
]


def unix_seconds(times):
    """Unix seconds (float64) of ``times``: numpy.datetime64 values (UTC) or integer seconds."""
    values = np.asarray(times)
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]").astype(np.int64) / 1e9
    if np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating):
        return values.astype(np.float64)
    raise TypeError(f"times must be numpy.datetime64 or integer Unix seconds, got dtype {values.dtype}")


def _array(value):
    return np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()


def solar_position(times, latitude, longitude, altitude=0, pressure=101325, temperature=12,
                   delta_t=67, atmos_refract=0.5667):
    """Sun position by NREL's SPA (Reda & Andreas 2004); pressure in Pa, delta_t in seconds.

    Returns a dict of arrays: apparent_zenith, zenith, apparent_elevation, elevation, azimuth,
    equation_of_time (minutes).
    """
    t = np.atleast_1d(unix_seconds(times)).ravel()
    return _solar.solar_position(t, float(latitude), float(longitude), float(altitude), float(pressure),
                                 float(temperature), float(delta_t), float(atmos_refract))


def extra_radiation(times, solar_constant=1366.1):
    """Extraterrestrial normal irradiance by Spencer (1971), the UTC day of year of each time."""
    return _solar.extra_radiation(np.atleast_1d(unix_seconds(times)).ravel(), float(solar_constant))


def relative_airmass(apparent_zenith):
    """Relative optical air mass by Kasten & Young (1989); NaN above 90 degrees."""
    return _solar.relative_airmass(_array(apparent_zenith))


def aoi(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth):
    """Angle of incidence of the sun on a plane [deg]."""
    return _solar.aoi(_array(surface_tilt), _array(surface_azimuth), _array(solar_zenith),
                      _array(solar_azimuth))


def poa_irradiance(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth, dni, ghi, dhi,
                   dni_extra=None, airmass=None, albedo=0.2, model="perez"):
    """Plane-of-array irradiance (pvlib get_total_irradiance) by "isotropic", "haydavies" or "perez".

    Returns poa_global, poa_direct, poa_diffuse, poa_sky_diffuse, poa_ground_diffuse and the sky
    parts sky_isotropic, sky_circumsolar, sky_horizon (the Perez horizon part can be negative).
    ``airmass`` defaults to relative_airmass(solar_zenith) as pvlib's; ``dni_extra`` is required
    by "haydavies" and "perez".
    """
    if dni_extra is None:
        if model != "isotropic":
            raise ValueError(f"dni_extra is required by the {model!r} model (use extra_radiation(times))")
        dni_extra = np.nan
    if airmass is None:
        airmass = relative_airmass(solar_zenith)
    return _solar.poa_irradiance(_array(surface_tilt), _array(surface_azimuth), _array(solar_zenith),
                                 _array(solar_azimuth), _array(dni), _array(ghi), _array(dhi),
                                 _array(dni_extra), _array(airmass), _array(albedo), str(model))


def iam_physical(aoi, n=1.526, K=4, L=0.002):  # noqa: N803 (pvlib's parameter names)
    """Incidence angle modifier of the physical model (De Soto 2006), 0 beyond 90 degrees."""
    return _solar.iam_physical(_array(aoi), float(n), float(K), float(L))


def sapm_cell_temperature(poa_global, temp_air, wind_speed, a, b, deltaT, irrad_ref=1000):  # noqa: N803
    """Cell temperature by the Sandia model (King et al. 2004)."""
    return _solar.sapm_cell_temperature(_array(poa_global), _array(temp_air), _array(wind_speed),
                                        float(a), float(b), float(deltaT), float(irrad_ref))


def faiman_cell_temperature(poa_global, temp_air, wind_speed, u0=25, u1=6.84):
    """Cell temperature by Faiman (2008)."""
    return _solar.faiman_cell_temperature(_array(poa_global), _array(temp_air), _array(wind_speed),
                                          float(u0), float(u1))


def pvwatts_dc(effective_irradiance, temp_cell, pdc0, gamma_pdc, temp_ref=25):
    """DC power by PVWatts v5 (Dobos 2014); gamma_pdc in 1/degC."""
    return _solar.pvwatts_dc(_array(effective_irradiance), _array(temp_cell), float(pdc0),
                             float(gamma_pdc), float(temp_ref))


def pvwatts_inverter(pdc, pdc0, eta_inv_nom=0.96, eta_inv_ref=0.9637):
    """AC power by the PVWatts v5 inverter model; pdc0 is the DC input limit."""
    return _solar.pvwatts_inverter(_array(pdc), float(pdc0), float(eta_inv_nom), float(eta_inv_ref))


def read_epw(path, time_zone_policy="error", utc_offset_h=None):
    """Reads an EPW (or TMY3 .csv) weather file: (data, metadata) with pvlib's names.

    data: dict of arrays ``time`` (numpy.datetime64[s], UTC, the END of each interval as the file
    labels it: the sun belongs at mid-interval), ``ghi``, ``dni``, ``dhi`` [W/m^2], ``temp_air``
    [degC], ``wind_speed`` [m/s], ``albedo``, ``pressure`` [Pa]; missing values are NaN.
    metadata: city, state-prov, country, data_type, WMO_code, latitude, longitude, TZ (declared
    UTC offset in hours), applied_TZ, altitude, interval_s, typical_year.
    ``time_zone_policy``: "error" (a header time zone that disagrees with the irradiance is an
    InputError), "detect" (use the best-fitting offset) or "declared"; ``utc_offset_h`` overrides.
    """
    data, meta = _solar.read_weather(path, str(time_zone_policy), utc_offset_h)
    data["time"] = data.pop("time_s").astype("datetime64[s]")
    return data, meta
