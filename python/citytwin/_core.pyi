"""Type stubs of citytwin._core, the C++ core of citytwin (python/src/bind_*.cpp)."""

import os
from collections.abc import Callable
from typing import Any, overload

import numpy as np
import numpy.typing as npt

__version__: str
__git_describe__: str

ConfigValue = bool | int | float | str | list[Any] | tuple[Any, ...] | dict[str, Any]

class InputError(ValueError):
    """Thrown for bad scenario or data files, after every problem of the input has been collected.

    A subclass of ValueError. `file`, `line` and `key` name the first problem; `issues` lists
    every problem as a dict with keys file, line, column, key and message.
    """

    file: str | None
    line: int | None
    key: str | None
    issues: list[dict[str, Any]] | None

class Scenario:
    """A scenario: the merged configuration tree of a TOML file, its `extends` chain and any
    `set()` overrides."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> Scenario:
        """Loads a scenario file and the files it extends."""
    @staticmethod
    def from_text(
        toml: str, file_name: str = "inline.toml", dir: str | os.PathLike[str] | None = None
    ) -> Scenario:
        """Parses scenario text; `file_name` names it in messages, `dir` resolves relative
        paths."""
    @overload
    def set(self, assignment: str) -> None:
        """Applies "key.path=value" (a TOML value; a bare word is taken as a string), as --set
        does."""
    @overload
    def set(self, key_path: str, value: ConfigValue) -> None:
        """Sets the value at a dotted key path."""
    @property
    def resolved_toml(self) -> str:
        """The fully resolved scenario as TOML text (what results store)."""
    @property
    def sha256(self) -> str:
        """SHA-256 of resolved_toml(), as 64 hex digits."""
    @property
    def path(self) -> os.PathLike[str] | None:
        """The main file, or None for a scenario given as text."""
    @property
    def dir(self) -> os.PathLike[str]:
        """The folder that relative paths in the scenario resolve against."""

class Checkpoint:
    """A saved run position: the tick and the whole state."""

    @property
    def tick(self) -> int:
        """Next tick to compute."""

class Simulation:
    """A whole run: the scenario's city, its models on an Engine, and optionally a results file."""

    def __init__(
        self, scenario: Scenario, output: str | os.PathLike[str] | None = None, threads: int = 0
    ) -> None:
        """Builds and validates the simulation."""
    def step(self, n: int = 1) -> None:
        """Advances `n` ticks (fewer if the run ends), writing output steps as they fall due."""
    def run(self, progress: Callable[[int, int], bool | None] | None = None) -> bool:
        """Runs to the end or until `progress(done_ticks, total_ticks)` returns False."""
    def finish(self) -> None:
        """Writes the indicators, closes the results file and renames it to its final name."""
    def abandon(self) -> None:
        """Flushes the results file and leaves it as `.partial` (an interrupted run)."""
    def state(self, qualified_name: str) -> npt.NDArray[Any]:
        """A read-only view of the current values of state column "model.column"."""
    def input(self, qualified_name: str) -> npt.NDArray[Any]:
        """A writeable view of an input column, set between steps."""
    def columns(self) -> list[str]:
        """The names of every state column, as "model.column"."""
    def dim_ids(self, model: str, dim: str) -> npt.NDArray[np.int64]:
        """The stable ids of the entities of dimension `dim` of `model`, in column order (a
        copy); KeyError for an unknown dimension."""
    def kpis(self) -> dict[str, float]:
        """Indicators of the city and of every model."""
    def checkpoint(self) -> Checkpoint:
        """Saves the run position."""
    def restore(self, checkpoint: Checkpoint) -> None:
        """Restores a position saved from an engine of the same scenario."""
    @property
    def time(self) -> np.datetime64:
        """Time at the start of the current tick (numpy.datetime64, UTC)."""
    @property
    def tick(self) -> int:
        """Number of ticks computed so far (the state is at the start of tick())."""
    @property
    def n_ticks(self) -> int:
        """Number of ticks of the whole run."""
    @property
    def done(self) -> bool:
        """Whether every tick has been computed."""
    @property
    def threads(self) -> int:
        """OpenMP threads of the run."""
