"""citytwin.mobility: link and trip columns as views, link speed and capacity between steps.

Every number comes from scenarios/sumo-import.toml: the 4-edge SUMO network of
tests/models/mobility/data/tiny.net.xml (E0 J0->J1 200 m 10 m/s, E1 J1->J2 200 m 20 m/s, E2 J1->J3
and E3 J3->J2 200 m 10 m/s; link ids 1..4 in file order) and the 7 trips of tiny.rou.xml (v0 at 0 s
and v1 at 5 s on E0 E1, t0 at 10 s routed E0 E2 E3, the flow f0 at 60, 80, 100 s on E0 E1, the
bicycle b0 at 0 s on E0 E1), 1 h in 60 s ticks, 1 s queue-model substeps. Free-flow car times:
E0 20 s, E1 10 s, E2 and E3 20 s each; the bicycle rides 200 m / (15 km/h) = 48 s per link.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import citytwin
from citytwin import mobility

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "sumo-import.toml"

E0, E1, E2, E3 = 1, 2, 3, 4  # link ids (1-based position in the SUMO file)
# trips in demand order: v0, v1, t0, f0.0, f0.1, f0.2, b0
DEPARTURE_S = [0.0, 5.0, 10.0, 60.0, 80.0, 100.0, 0.0]
FREE_FLOW_S = [30.0, 30.0, 60.0, 30.0, 30.0, 30.0, 96.0]
DISTANCE_M = [400.0, 400.0, 600.0, 400.0, 400.0, 400.0, 400.0]
CHOICE = [0, 0, 0, 0, 0, 0, 1]  # six cars, one bicycle


@pytest.fixture
def sim() -> citytwin.Simulation:
    return citytwin.Simulation(citytwin.Scenario.load(SCENARIO), threads=1)


def test_link_and_trip_tables_have_the_network_and_demand_shapes(sim) -> None:
    links = mobility.links(sim)
    trips = mobility.trips(sim)
    assert set(links) == {"link_id", *mobility.LINK_COLUMNS}
    assert set(trips) == {"trip_id", *mobility.TRIP_COLUMNS}
    np.testing.assert_array_equal(links["link_id"], [E0, E1, E2, E3])
    np.testing.assert_array_equal(trips["trip_id"], np.arange(1, 8))
    assert links["link_id"].dtype == np.int64
    for name in mobility.LINK_COLUMNS:
        assert links[name].shape == (4,), name
    for name in mobility.TRIP_COLUMNS:
        assert trips[name].shape == (7,), name
    # the inputs start at the network's values: SUMO speeds, capacity by speed class
    # (36 km/h -> 1800 veh/h per lane, 72 km/h -> 1900 veh/h per lane, one lane each)
    np.testing.assert_array_equal(links["link_speed_mps"], [10.0, 20.0, 10.0, 10.0])
    np.testing.assert_array_equal(links["link_capacity_veh_per_h"],
                                  [1800.0, 1900.0, 1800.0, 1800.0])
    assert links["link_speed_mps"].flags.writeable
    assert not links["vehicles_on_link"].flags.writeable
    assert not trips["travel_time_s"].flags.writeable


def test_free_flow_trips_are_the_hand_computed_times(sim) -> None:
    sim.run()
    trips = mobility.trips(sim)
    np.testing.assert_array_equal(trips["departure_s"], DEPARTURE_S)
    np.testing.assert_array_equal(trips["travel_time_s"], FREE_FLOW_S)
    np.testing.assert_array_equal(trips["arrival_s"], np.add(DEPARTURE_S, FREE_FLOW_S))
    np.testing.assert_array_equal(trips["delay_s"], np.zeros(7))
    np.testing.assert_array_equal(trips["distance_m"], DISTANCE_M)
    np.testing.assert_array_equal(trips["choice"], CHOICE)
    assert [mobility.CHOICES[c] for c in trips["choice"][-2:]] == ["car", "bike"]
    np.testing.assert_array_equal(trips["purpose"], np.full(7, -1))  # imported trips
    np.testing.assert_array_equal(trips["agent_id"], np.arange(1, 8))  # vehicles in file order
    # every trip runs from J0 (0, 0) to J2 (400, 0)
    np.testing.assert_array_equal(trips["origin_x_m"], np.zeros(7))
    np.testing.assert_array_equal(trips["origin_y_m"], np.zeros(7))
    np.testing.assert_array_equal(trips["destination_x_m"], np.full(7, 400.0))
    np.testing.assert_array_equal(trips["destination_y_m"], np.zeros(7))


def test_halving_e1_speed_after_the_first_step_adds_10_s_to_later_entries(sim) -> None:
    trips = mobility.trips(sim)
    sim.step()  # 60 s: v0, v1 are through E1; t0 is on E2; the flow f0 departs at 60, 80, 100 s
    mobility.set_link_speed(sim, E1, 10.0)  # 200 m: 10 s -> 20 s for cars entering E1 from now
    np.testing.assert_array_equal(sim.state("mobility.link_speed_mps"), [10.0, 10.0, 10.0, 10.0])
    sim.run()
    expected = np.add(FREE_FLOW_S, [0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 0.0])
    np.testing.assert_array_equal(trips["travel_time_s"], expected)
    np.testing.assert_array_equal(trips["delay_s"], [0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 0.0])
    np.testing.assert_array_equal(trips["distance_m"], DISTANCE_M)


def test_cutting_e0_capacity_spaces_its_discharge(sim) -> None:
    # 360 veh/h = one car per 10 s: v0 leaves E0 at 20 s, v1 (due at 25 s) at 30 s and t0 (due at
    # 30 s) at 40 s; the flow f0 comes 20 s apart and passes unhindered
    mobility.set_link_capacity(sim, E0, 360.0)
    sim.run()
    trips = mobility.trips(sim)
    np.testing.assert_array_equal(trips["delay_s"], [0.0, 5.0, 10.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(trips["travel_time_s"], np.add(FREE_FLOW_S, trips["delay_s"]))
    assert sim.kpis()["mobility.total_delay_h"] == pytest.approx(15.0 / 3600.0, rel=1e-12)


def test_interval_link_statistics(sim) -> None:
    links = mobility.links(sim)
    sim.step(15)  # the first 15 min interval is over
    # every car crosses E0; E1 carries the 5 cars on E0 E1, E2 and E3 the routed trip t0
    np.testing.assert_array_equal(links["volume_veh"], [6.0, 5.0, 1.0, 1.0])
    np.testing.assert_array_equal(links["mean_speed_mps"], [10.0, 20.0, 10.0, 10.0])
    # mean cars on the link / length: car-seconds 6 x 20, 5 x 10, 20, 20 over 900 s and 0.2 km
    np.testing.assert_allclose(links["density_veh_per_km"],
                               np.array([120.0, 50.0, 20.0, 20.0]) / 180.0, rtol=1e-14)
    np.testing.assert_array_equal(links["vehicles_on_link"], np.zeros(4))
    np.testing.assert_array_equal(links["queue_length_veh"], np.zeros(4))


def test_capacity_cut_lowers_the_space_mean_speed(sim) -> None:
    links = mobility.links(sim)
    mobility.set_link_capacity(sim, E0, 360.0)
    sim.step(15)
    # E0: 6 cars x 200 m in 20 + 25 + 30 + 3 x 20 = 135 s on the link
    assert links["volume_veh"][0] == 6.0
    assert links["mean_speed_mps"][0] == pytest.approx(1200.0 / 135.0, rel=1e-15)
    np.testing.assert_array_equal(links["mean_speed_mps"][1:], [20.0, 10.0, 10.0])
    # density x length x interval = car-seconds on the link: 135 s on E0 instead of 120 s
    assert links["density_veh_per_km"][0] == pytest.approx(135.0 / 180.0, rel=1e-14)


def test_views_are_zero_copy_across_steps(sim) -> None:
    links = mobility.links(sim)
    trips = mobility.trips(sim)
    views = {**links, **trips}
    pointers = {name: views[name].__array_interface__["data"][0]
                for name in (*mobility.LINK_COLUMNS, *mobility.TRIP_COLUMNS)}
    sim.step(3)
    again = {**mobility.links(sim), **mobility.trips(sim)}
    for name, pointer in pointers.items():
        assert again[name].__array_interface__["data"][0] == pointer, name
    assert np.shares_memory(links["link_speed_mps"], sim.state("mobility.link_speed_mps"))
    assert np.shares_memory(trips["arrival_s"], sim.state("mobility.arrival_s"))
    # arrivals so far (180 s): v0 at 30, v1 at 35, t0 at 70, b0 at 96, f0.0 at 90, f0.1 at 110
    np.testing.assert_array_equal(trips["arrival_s"], [30.0, 35.0, 70.0, 90.0, 110.0, 130.0, 96.0])
    # writing the input view is what set_link_speed does
    links["link_speed_mps"][1] = 5.0
    assert sim.state("mobility.link_speed_mps")[1] == 5.0


def test_non_input_columns_refuse_writes(sim) -> None:
    links = mobility.links(sim)
    with pytest.raises(ValueError, match="read-only"):
        links["vehicles_on_link"][0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        mobility.trips(sim)["travel_time_s"][0] = 1.0
    with pytest.raises(ValueError, match=r"'mobility.arrival_s' is not an input column.*"
                                          r"mobility.link_speed_mps"):
        sim.input("mobility.arrival_s")


def test_unknown_names_are_key_errors_with_suggestions(sim) -> None:
    with pytest.raises(KeyError, match=r"did you mean 'mobility.link_speed_mps'"):
        sim.input("mobility.link_speed")
    with pytest.raises(KeyError, match=r"did you mean 'mobility.travel_time_s'"):
        sim.state("mobility.travel_time")
    with pytest.raises(KeyError, match=r"no entity dimension 'mobility.lnk'.*mobility.link"):
        sim.dim_ids("mobility", "lnk")
    with pytest.raises(KeyError, match=r"no mobility link with id 9 .*4 links"):
        mobility.set_link_speed(sim, 9, 5.0)
    with pytest.raises(TypeError, match="link_id must be an integer"):
        mobility.set_link_speed(sim, 1.5, 5.0)


def test_setters_check_values_and_take_arrays(sim) -> None:
    links = mobility.links(sim)
    with pytest.raises(ValueError, match=r"speed_mps must be finite and > 0 \(got 0.0\)"):
        mobility.set_link_speed(sim, E0, 0.0)
    with pytest.raises(ValueError, match=r"veh_per_h must be in \(0, 1e9\] \(got nan\)"):
        mobility.set_link_capacity(sim, E0, float("nan"))
    np.testing.assert_array_equal(links["link_speed_mps"], [10.0, 20.0, 10.0, 10.0])  # unchanged
    mobility.set_link_speed(sim, [E3, E1], [4.0, 8.0])
    mobility.set_link_capacity(sim, np.array([E2, E0]), 900.0)
    np.testing.assert_array_equal(links["link_speed_mps"], [10.0, 8.0, 10.0, 4.0])
    np.testing.assert_array_equal(links["link_capacity_veh_per_h"], [900.0, 1900.0, 900.0, 1800.0])
    assert mobility.link_index(sim, E3) == 3
    np.testing.assert_array_equal(mobility.link_index(sim, [E2, E0]), [2, 0])


def test_the_model_rejects_a_bad_value_written_to_a_view(sim) -> None:
    mobility.links(sim)["link_speed_mps"][0] = 0.0
    with pytest.raises(ValueError, match="link id 1 has link_speed_mps = 0"):
        sim.step()


def test_restore_brings_back_the_inputs(sim) -> None:
    checkpoint = sim.checkpoint()
    mobility.set_link_speed(sim, E1, 10.0)
    sim.step(2)
    sim.restore(checkpoint)
    np.testing.assert_array_equal(mobility.links(sim)["link_speed_mps"], [10.0, 20.0, 10.0, 10.0])
    sim.run()
    np.testing.assert_array_equal(mobility.trips(sim)["travel_time_s"], FREE_FLOW_S)


def test_a_run_without_mobility_has_no_links(scenario: citytwin.Scenario) -> None:
    with pytest.raises(KeyError, match=r"no entity dimension 'mobility.link'"):
        mobility.links(citytwin.Simulation(scenario))
