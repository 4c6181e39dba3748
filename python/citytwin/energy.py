"""Distribution networks and balanced AC power flow (citytwin's micro-grid model).

    net = citytwin.energy.load_network("../shared/data/grid/case33bw/network")
    result = net.power_flow()                  # Newton-Raphson
    net.load["p_mw"][:] *= 1.1                 # change injections in place ...
    result = net.power_flow(method="zbus", warm_start=True)   # ... and solve again

Results are NumPy arrays indexed like the input tables (docs/models/energy.md).
"""

from ._core import energy as _energy

Network = _energy.Network

__all__ = ["Network", "load_network"]


def load_network(path):
    """Loads a folder of element tables (network.json and CSV tables) as a Network."""
    return _energy.Network(path)
