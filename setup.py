"""Builds citytwin._core with CMake for `pip install --no-build-isolation --no-index .`.

The metadata lives in pyproject.toml. The extension is the root CMake project's citytwin_python
target, configured without tests and benchmarks for the interpreter that runs pip; the pure-Python
files of python/citytwin are packaged by setuptools.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeExtension(Extension):
    """An extension that CMake builds (no sources for setuptools to compile)."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    """Configures and builds the CMake target, then copies the module where setuptools wants it."""

    def build_extension(self, ext: Extension) -> None:
        assert isinstance(ext, CMakeExtension)
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        build_type = os.environ.get("CMAKE_BUILD_TYPE", "Release")
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir),
                        f"-DCMAKE_BUILD_TYPE={build_type}",
                        "-DCITYTWIN_BUILD_PYTHON=ON",
                        "-DCITYTWIN_BUILD_TESTS=OFF",
                        "-DCITYTWIN_BUILD_BENCHMARKS=OFF",
                        f"-DPython_EXECUTABLE={sys.executable}"], check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target,
                        "--parallel", jobs], check=True)
        file_name = pathlib.Path(self.get_ext_filename(ext.name)).name
        built = build_dir / "python" / "citytwin" / file_name
        destination = pathlib.Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, destination)


# keep setuptools' files out of build/ (a CMake build folder) and out of the source tree
BUILD_BASE = "build-pip"
pathlib.Path(ROOT / BUILD_BASE).mkdir(exist_ok=True)

setup(
    ext_modules=[CMakeExtension("citytwin._core", target="citytwin_python")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": BUILD_BASE}, "egg_info": {"egg_base": BUILD_BASE}},
)
