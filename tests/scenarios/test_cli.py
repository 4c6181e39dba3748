"""The citytwin command line: exit statuses, error messages, determinism, killed runs."""
import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest
import xarray as xr

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def citytwin_bin():
    """Path of the built citytwin program (CITYTWIN_BIN overrides build/bin/citytwin)."""
    path = pathlib.Path(os.environ.get("CITYTWIN_BIN", ROOT / "build" / "bin" / "citytwin"))
    if not path.exists():
        pytest.fail(f"{path} is missing: build first (cmake --build build)")
    return path


@pytest.fixture
def run_cli(citytwin_bin, tmp_path):
    """Runs citytwin with arguments in tmp_path; returns the CompletedProcess."""
    def run(*args, timeout=300):
        return subprocess.run([str(citytwin_bin), *map(str, args)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout, check=False)
    return run
DEMO = ROOT / "scenarios" / "demo.toml"


def datasets(path):
    """Every dataset of an HDF5 file as a NumPy array, keyed by its path."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_same_datasets(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for name, value in da.items():
        other = db[name]
        assert value.dtype == other.dtype, name
        if value.dtype.kind == "f":
            assert value.tobytes() == other.tobytes(), name
        else:
            assert np.array_equal(value, other), name


def test_demo_identical_on_one_and_two_threads(run_cli, tmp_path):
    one = run_cli("run", DEMO, "--threads", "1", "-o", "one.h5", "--quiet")
    two = run_cli("run", DEMO, "--threads", "2", "-o", "two.h5", "--quiet")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert_same_datasets(tmp_path / "one.h5", tmp_path / "two.h5")
    with h5py.File(tmp_path / "one.h5", "r") as f1, h5py.File(tmp_path / "two.h5", "r") as f2:
        assert f1.attrs["threads"] == 1
        assert f2.attrs["threads"] == 2
        assert f1.attrs["scenario_sha256"] == f2.attrs["scenario_sha256"]


def test_other_seed_changes_the_city_seed_keeps_it(run_cli, tmp_path):
    run_cli("run", DEMO, "-o", "a.h5", "--quiet")
    run_cli("run", DEMO, "-o", "b.h5", "--quiet")
    run_cli("run", DEMO, "-o", "c.h5", "--quiet", "--set", "city.generator.seed=2")
    assert_same_datasets(tmp_path / "a.h5", tmp_path / "b.h5")
    height_a = datasets(tmp_path / "a.h5")["city/height_m"]
    height_c = datasets(tmp_path / "c.h5")["city/height_m"]
    assert height_a.shape != height_c.shape or not np.array_equal(height_a, height_c)


def test_typo_exits_2_with_position_and_hint(run_cli, tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text('extends = "{}"\n\n[output]\ncompresion = 4\n'.format(DEMO.as_posix()))
    result = run_cli("run", bad, "--quiet")
    assert result.returncode == 2
    assert f"{bad}:4:1: error: unknown key 'output.compresion' (did you mean 'compression'?)" in result.stderr
    assert not (tmp_path / "demo.h5").exists()


def test_wrong_type_and_range_reported_together(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[time]\nstart = 2024-01-01T00:00:00\ndt_s = "fast"\nduration = "1h"\n'
                   '[output]\ncompression = 12\n')
    result = run_cli("validate", bad)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{bad}:3:1: error: time.dt_s must be an integer (got a string)") for line in lines), lines
    assert any(line.startswith(f"{bad}:6:1: error: output.compression must be between 0 and 9 (got 12)") for line in lines), lines


def test_set_override_and_validate(run_cli):
    result = run_cli("validate", DEMO, "--set", "city.generator.n_buildings=800")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    result = run_cli("validate", DEMO, "--set", "time.dt_s=0")
    assert result.returncode == 2
    assert "<command line>" in result.stderr and "time.dt_s" in result.stderr


def test_bad_usage_exits_2(run_cli):
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("run").returncode == 2
    assert run_cli("run", DEMO, "--threads", "two").returncode == 2
    assert run_cli("run", "no-such-file.toml").returncode == 2


def test_info_and_compare(run_cli, tmp_path):
    assert run_cli("run", DEMO, "-o", "base.h5", "--quiet").returncode == 0
    assert run_cli("run", DEMO, "-o", "big.h5", "--quiet", "--set", "city.generator.n_buildings=1000").returncode == 0
    info = run_cli("info", "base.h5")
    assert info.returncode == 0, info.stderr
    assert "/city" in info.stdout and "scenario" in info.stdout and 'time_zone = "Europe/Paris"' in info.stdout
    with h5py.File(tmp_path / "base.h5", "r") as f1, h5py.File(tmp_path / "big.h5", "r") as f2:
        n1 = f1["city/building_id"].shape[0]
        n2 = f2["city/building_id"].shape[0]
    compare = run_cli("compare", "base.h5", "big.h5")
    assert compare.returncode == 0, compare.stderr
    row = next(line for line in compare.stdout.splitlines() if "n_buildings" in line)
    assert str(n1) in row and str(n2) in row and f"{n2 - n1:+d}" in row.replace(" ", "")


def test_xarray_opens_every_group(run_cli, tmp_path):
    assert run_cli("run", DEMO, "-o", "x.h5", "--quiet").returncode == 0
    with h5py.File(tmp_path / "x.h5", "r") as f:
        groups = [name for name, obj in f.items() if isinstance(obj, h5py.Group)]
    assert "city" in groups and "kpi" in groups
    for group in groups:
        for engine in ("h5netcdf", "netcdf4"):
            with xr.open_dataset(tmp_path / "x.h5", group=group, engine=engine) as ds:
                assert len(ds.data_vars) > 0, (group, engine)
                for name, var in ds.variables.items():
                    if name in ds.dims:
                        continue
                    assert "units" in var.attrs or var.attrs.get("cf_role") or "geometry_type" in var.attrs, (group, name)


def test_killed_run_leaves_readable_partial_file(citytwin_bin, tmp_path):
    # a long run (a year of 1-second ticks, a step written every tick), killed once flushes happened;
    # flushes are rare (every 100000 steps) so that the kill falls between two of them
    scenario = tmp_path / "long.toml"
    scenario.write_text(
        'name = "long"\n[time]\nstart = 2024-01-01T00:00:00\ndt_s = 1\nduration = "365d"\n'
        '[city.generator]\nn_buildings = 100\n'
        '[output]\npath = "long.h5"\ninterval = 1\nflush_every = 100000\nflush_interval = 3600\ncompression = 0\n')
    proc = subprocess.Popen([str(citytwin_bin), "run", str(scenario), "--quiet"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "long.h5.partial"
    # wait until the file has grown by several flushes, then kill without warning
    deadline = time.monotonic() + 60
    start_size = None
    while time.monotonic() < deadline:
        if partial.exists():
            size = partial.stat().st_size
            start_size = start_size or size
            if size > start_size + 3_000_000:  # a few flushes of 100000 steps
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "long.h5").exists()
    with h5py.File(partial, "r") as f:
        t = f["run/time"][()]
        assert len(t) > 0
        assert len(t) % 100000 == 0  # flushes end on chunk boundaries of 100000 steps
        np.testing.assert_array_equal(t, np.arange(len(t), dtype=t.dtype))
        assert f.attrs["seed"] == 42


def test_sigint_stops_cleanly_after_a_flush(citytwin_bin, tmp_path):
    scenario = tmp_path / "long.toml"
    scenario.write_text(
        'name = "long"\n[time]\nstart = 2024-01-01T00:00:00\ndt_s = 1\nduration = "365d"\n'
        '[city.generator]\nn_buildings = 100\n[output]\ninterval = 1\nflush_every = 100000\n')
    proc = subprocess.Popen([str(citytwin_bin), "run", str(scenario), "--progress", "log"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "interrupted at tick" in err
    with h5py.File(tmp_path / "long.h5.partial", "r") as f:
        n = f["run/time"].shape[0]
        assert n > 1  # everything computed before the signal was flushed, not only whole batches
        np.testing.assert_array_equal(f["run/tick"][()], np.arange(n))
