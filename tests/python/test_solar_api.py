"""citytwin.solar: pvlib's names, defaults and conventions over the C++ physics."""
import numpy as np
import pytest

from citytwin import solar

SPA_TIME = np.array(["2003-10-17T19:30:30"], dtype="datetime64[s]")  # 12:30:30 at UTC-7


def test_solar_position_spa_vector_with_pvlib_keywords():
    pos = solar.solar_position(SPA_TIME, latitude=39.742476, longitude=-105.1786, altitude=1830.14,
                               pressure=82000, temperature=11, delta_t=67, atmos_refract=0.5667)
    assert sorted(pos) == ["apparent_elevation", "apparent_zenith", "azimuth", "elevation",
                           "equation_of_time", "zenith"]
    assert abs(pos["apparent_zenith"][0] - 50.11162) < 1e-4  # Reda & Andreas 2004, table A5
    assert abs(pos["azimuth"][0] - 194.34024) < 1e-4
    np.testing.assert_allclose(pos["apparent_elevation"], 90 - pos["apparent_zenith"], rtol=0, atol=1e-12)


def test_times_as_datetime64_or_unix_seconds_agree():
    seconds = SPA_TIME.astype(np.int64)
    a = solar.solar_position(SPA_TIME, 45.0, 5.0)
    b = solar.solar_position(seconds, 45.0, 5.0)
    c = solar.solar_position(SPA_TIME.astype("datetime64[ns]"), 45.0, 5.0)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a[key], c[key])
    with pytest.raises(TypeError, match="datetime64"):
        solar.solar_position(np.array(["x"]), 45.0, 5.0)


def test_extra_radiation_and_airmass():
    # Spencer (1971) on day 1: 1366.1 * (1.00011 + 0.034221 cos b + 0.00128 sin b + ...) with b = 0
    e0 = solar.extra_radiation(np.array([0]))[0]
    assert abs(e0 - 1366.1 * (1.00011 + 0.034221 + 0.000719)) < 1e-9
    am = solar.relative_airmass([0.0, 95.0])
    assert abs(am[0] - 1.0 / (1.0 + 0.50572 * (6.07995 + 90.0) ** -1.6364)) < 1e-12
    assert np.isnan(am[1])


def test_poa_components_add_up_and_broadcast():
    out = solar.poa_irradiance(surface_tilt=[0, 30, 60], surface_azimuth=180, solar_zenith=40,
                               solar_azimuth=170, dni=800, ghi=700, dhi=100, dni_extra=1360)
    assert out["poa_global"].shape == (3,)
    np.testing.assert_allclose(out["poa_global"],
                               out["poa_direct"] + out["poa_sky_diffuse"] + out["poa_ground_diffuse"],
                               rtol=1e-12)
    np.testing.assert_allclose(out["poa_sky_diffuse"],
                               out["sky_isotropic"] + out["sky_circumsolar"] + out["sky_horizon"],
                               rtol=1e-12)
    iso = solar.poa_irradiance(30, 180, 40, 170, 800, 700, 100, model="isotropic")
    assert abs(iso["poa_sky_diffuse"][0] - 100 * (1 + np.cos(np.radians(30))) / 2) < 1e-9
    with pytest.raises(ValueError, match="dni_extra"):
        solar.poa_irradiance(30, 180, 40, 170, 800, 700, 100, model="perez")
    with pytest.raises(ValueError):
        solar.poa_irradiance(30, 180, 40, 170, 800, 700, 100, dni_extra=1360, model="klucher")


def test_pv_chain_defaults_follow_pvlib():
    assert solar.iam_physical([0.0])[0] == pytest.approx(1.0, abs=1e-12)
    assert solar.iam_physical([90.0])[0] == 0.0
    t = solar.faiman_cell_temperature(1000, 20, 1)
    assert t[0] == pytest.approx(20 + 1000 / (25 + 6.84), rel=1e-12)
    t = solar.sapm_cell_temperature(800, 25, 2, a=-3.47, b=-0.0594, deltaT=3)
    assert t[0] == pytest.approx(800 * np.exp(-3.47 - 0.0594 * 2) + 25 + 0.8 * 3, rel=1e-12)
    dc = solar.pvwatts_dc(1000, 35, pdc0=4000, gamma_pdc=-0.0047)
    assert dc[0] == pytest.approx(4000 * (1 - 0.047), rel=1e-12)
    ac = solar.pvwatts_inverter([0, 5000], pdc0=4000)
    assert ac[0] == 0 and ac[1] == pytest.approx(0.96 * 4000)


def test_read_epw_with_pvlib_names_and_time_zone_policy():
    import os
    import pathlib
    import citytwin
    data_dir = pathlib.Path(os.environ.get("CITYTWIN_DATA", pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"))
    lyon = data_dir / "weather" / "FRA_AR_Lyon-Bron.AP.074800_TMYx.2004-2018.epw"
    pvgis = data_dir / "weather" / "PVGIS_tmy_45.000_8.000_2005_2023.epw"
    if not lyon.exists():
        pytest.skip(f"real data missing: {lyon}")
    data, meta = solar.read_epw(lyon)
    assert data["time"].dtype == np.dtype("datetime64[s]")
    assert len(data["ghi"]) == 8760
    # the row labelled 01:00 local (UTC+1) ends the first hour: 00:00 UTC
    assert data["time"][0] == np.datetime64("2004-01-01T00:00:00")
    assert meta["TZ"] == 1.0 and meta["latitude"] == 45.7261
    assert abs(np.nansum(data["ghi"]) / 1000 - 1320.954) < 1e-3  # awk sum of the GHI field
    with pytest.raises(citytwin.InputError, match="weather_utc_offset_h"):
        solar.read_epw(pvgis)
    _, meta = solar.read_epw(pvgis, time_zone_policy="detect")
    assert meta["TZ"] == 1.0 and meta["applied_TZ"] == 0.0
