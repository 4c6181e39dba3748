"""Fixtures of the scenario-level tests: they drive the real `citytwin` program."""
import os
import pathlib
import subprocess

import pytest

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
