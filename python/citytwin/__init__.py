"""citytwin: a digital twin of a city (mobility, bike-sharing, micro-grid, rooftop PV).

Load a scenario, run it, and look at its state and results::

    import citytwin
    scenario = citytwin.Scenario.load("scenarios/demo.toml")
    sim = citytwin.Simulation(scenario, output="demo.h5")
    sim.run()
    city = citytwin.open_results("demo.h5", "/city")

See docs/python.md.
"""

from ._core import (
    Checkpoint,
    InputError,
    Scenario,
    Simulation,
    __git_describe__,
    __version__,
)
from . import bikeshare, energy, mobility, solar
from .results import open_results, results_groups

__all__ = [
    "Checkpoint",
    "InputError",
    "Scenario",
    "Simulation",
    "__git_describe__",
    "__version__",
    "bikeshare",
    "energy",
    "mobility",
    "open_results",
    "solar",
    "results_groups",
]
