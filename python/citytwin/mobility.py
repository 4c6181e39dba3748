"""Link and trip columns of citytwin's mobility model as NumPy views, and link controls.

    sim = citytwin.Simulation(citytwin.Scenario.load("scenarios/sumo-import.toml"))
    sim.step()                                           # 60 s
    citytwin.mobility.set_link_speed(sim, 2, 10.0)       # link id 2 (SUMO edge E1): 20 -> 10 m/s
    sim.run()
    trips = citytwin.mobility.trips(sim)
    print(trips["trip_id"], trips["travel_time_s"])

The views share the engine's buffers (Simulation.state / Simulation.input): taken once, they show
every later tick. Link ids are the "link" coordinate of the results (docs/models/mobility.md).
"""

import numpy as np

__all__ = [
    "CHOICES",
    "INPUT_COLUMNS",
    "LINK_COLUMNS",
    "TRIP_COLUMNS",
    "link_index",
    "links",
    "set_link_capacity",
    "set_link_speed",
    "trips",
]

MODEL = "mobility"

#: Per-link inputs: scripts may set them between steps; the model reads them at its next step.
INPUT_COLUMNS = ("link_speed_mps", "link_capacity_veh_per_h")

#: Per-link columns (dimension "link"), inputs first.
LINK_COLUMNS = INPUT_COLUMNS + (
    "vehicles_on_link",
    "queue_length_veh",
    "volume_veh",
    "mean_speed_mps",
    "density_veh_per_km",
)

#: Per-trip columns (dimension "trip").
TRIP_COLUMNS = (
    "departure_s",
    "arrival_s",
    "travel_time_s",
    "distance_m",
    "delay_s",
    "agent_id",
    "choice",
    "purpose",
    "origin_x_m",
    "origin_y_m",
    "destination_x_m",
    "destination_y_m",
)

#: Meaning of the values of the "choice" column (the trip's mode).
CHOICES = ("car", "bike", "walk", "bike share")

# the queue model's bound on a link capacity [veh/h] (docs/models/mobility.md)
_MAX_CAPACITY_VEH_PER_H = 1e9


def links(sim):
    """The per-link columns of ``sim`` as a dict of NumPy views, plus ``"link_id"``.

    ``link_speed_mps`` and ``link_capacity_veh_per_h`` are writeable views of the inputs; the
    others are read-only views of the current state. ``"link_id"`` (int64, a copy) holds the
    stable id of each position. Raises KeyError when ``sim`` runs no mobility model.
    """
    out = {"link_id": sim.dim_ids(MODEL, "link")}
    for name in LINK_COLUMNS:
        qualified = f"{MODEL}.{name}"
        out[name] = sim.input(qualified) if name in INPUT_COLUMNS else sim.state(qualified)
    return out


def trips(sim):
    """The per-trip columns of ``sim`` as a dict of read-only NumPy views, plus ``"trip_id"``.

    Times are seconds since the run start; ``arrival_s``, ``travel_time_s`` and ``delay_s`` are
    NaN until the trip has arrived; ``choice`` indexes CHOICES. Raises KeyError when ``sim`` runs
    no mobility model.
    """
    out = {"trip_id": sim.dim_ids(MODEL, "trip")}
    for name in TRIP_COLUMNS:
        out[name] = sim.state(f"{MODEL}.{name}")
    return out


def link_index(sim, link_id):
    """Position(s) in the link columns of the link id(s) ``link_id`` (an int or array of ints).

    Raises KeyError naming the ids that are not links of the network.
    """
    ids = sim.dim_ids(MODEL, "link")
    wanted = np.asarray(link_id)
    if wanted.dtype.kind not in "iu":
        raise TypeError(f"link_id must be an integer link id or an array of them, got {link_id!r}")
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), max(len(ids) - 1, 0))
    found = (sorted_ids[pos] == wanted) if len(ids) else np.zeros(wanted.shape, dtype=bool)
    if not np.all(found):
        missing = np.unique(wanted[~found]).tolist()
        raise KeyError(f"no mobility link with id {missing[0] if len(missing) == 1 else missing} "
                       f"(the network has {len(ids)} links; links(sim)['link_id'] lists them)")
    index = order[pos]
    return int(index) if index.ndim == 0 else index


def _set_input(sim, column, link_id, value, valid, requirement):
    index = link_index(sim, link_id)
    values = np.asarray(value, dtype=np.float64)
    bad = np.atleast_1d(values)[~np.atleast_1d(valid(values))]
    if bad.size:
        raise ValueError(f"{MODEL}.{column}: {requirement} (got {bad[0]})")
    sim.input(f"{MODEL}.{column}")[index] = values


def set_link_speed(sim, link_id, speed_mps):
    """Sets the free speed [m/s] of link(s) ``link_id`` from the next step on.

    The new speed applies to cars entering the link afterwards; cars already on it keep their
    exit time. ``speed_mps`` must be finite and > 0 (close a link with a tiny speed, e.g. 0.1).
    """
    _set_input(sim, "link_speed_mps", link_id, speed_mps,
               lambda v: np.isfinite(v) & (v > 0.0), "speed_mps must be finite and > 0")


def set_link_capacity(sim, link_id, veh_per_h):
    """Sets the flow capacity [veh/h, whole link] of link(s) ``link_id`` from the next step on.

    ``veh_per_h`` must be in (0, 1e9].
    """
    _set_input(sim, "link_capacity_veh_per_h", link_id, veh_per_h,
               lambda v: (v > 0.0) & (v <= _MAX_CAPACITY_VEH_PER_H),
               "veh_per_h must be in (0, 1e9]")
