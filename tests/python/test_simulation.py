"""citytwin.Simulation: arguments, stepping, time, progress callbacks, GIL, checkpoints."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest

import citytwin


def test_defaults(scenario: citytwin.Scenario, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    sim = citytwin.Simulation(scenario)
    assert (sim.tick, sim.n_ticks, sim.done) == (0, 96, False)  # 1 day / 900 s
    assert sim.threads >= 1
    sim.run()
    assert list(tmp_path.iterdir()) == []  # output=None writes no file


def test_keyword_arguments(scenario: citytwin.Scenario, tmp_path) -> None:
    output = tmp_path / "run.h5"
    sim = citytwin.Simulation(scenario=scenario, output=output, threads=1)
    assert sim.threads == 1
    sim.step(n=2)
    assert sim.tick == 2
    sim.finish()
    assert output.exists()


def test_step_defaults_to_one_tick_and_stops_at_the_end(make_scenario) -> None:
    sim = citytwin.Simulation(make_scenario(duration="2h"))  # 8 ticks
    sim.step()
    assert sim.tick == 1
    sim.step(5)
    assert sim.tick == 6
    sim.step(100)
    assert (sim.tick, sim.done) == (8, True)


def test_time_is_utc_datetime64_of_the_current_tick(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    # 2024-06-21T00:00:00 in Paris is UTC+2 (summer time)
    assert sim.time == np.datetime64("2024-06-20T22:00:00")
    assert sim.time.dtype == np.dtype("datetime64[s]")
    sim.step(4)  # 4 x 900 s
    assert sim.time == np.datetime64("2024-06-20T23:00:00")
    sim.step(91)
    assert sim.time == np.datetime64("2024-06-21T21:45:00")


def test_time_in_winter_and_in_utc(make_scenario) -> None:
    winter = citytwin.Simulation(make_scenario(start="2024-01-15T00:00:00"))
    assert winter.time == np.datetime64("2024-01-14T23:00:00")  # UTC+1
    utc = citytwin.Simulation(make_scenario(time_zone="UTC", dt_s=60))
    utc.step(90)
    assert utc.time == np.datetime64("2024-06-21T01:30:00")


def test_run_completes_and_returns_true(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    assert sim.run() is True
    assert (sim.tick, sim.done) == (96, True)


def test_progress_is_called_after_every_tick(make_scenario) -> None:
    sim = citytwin.Simulation(make_scenario(duration="1h"))  # 4 ticks
    calls = []
    assert sim.run(progress=lambda done, total: calls.append((done, total))) is True
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_progress_returning_false_stops_the_run(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    assert sim.run(lambda done, total: done < 7) is False
    assert (sim.tick, sim.done) == (7, False)
    assert sim.run() is True  # a stopped run goes on where it stopped
    assert sim.tick == 96


def test_exception_in_progress_propagates_after_the_run_stops(scenario) -> None:
    sim = citytwin.Simulation(scenario)

    def fail_at_tick_5(done: int, total: int) -> None:
        if done == 5:
            raise LookupError("stop here")

    with pytest.raises(LookupError, match="stop here"):
        sim.run(progress=fail_at_tick_5)
    assert sim.tick == 5
    sim.step()
    assert sim.tick == 6


def test_progress_must_be_callable(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    with pytest.raises(TypeError, match="progress must be None or a callable"):
        sim.run(progress=3)
    assert sim.tick == 0


def long_run_sim(make_scenario, days: int) -> citytwin.Simulation:
    """A run of days * 86400 one-second ticks, with no model (the engine alone)."""
    return citytwin.Simulation(make_scenario(dt_s=1, duration=f"{days}d", n_buildings=10))


def test_run_releases_the_gil(make_scenario) -> None:
    # a thread stamps the time every millisecond; while run() holds the GIL it cannot, so stamps
    # well inside the run show that the GIL was released. Longer runs until one lasts >= 0.2 s.
    stamps: list[float] = []
    stop = threading.Event()

    def stamp() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=stamp)
    thread.start()
    try:
        for days in (4, 16, 64, 256):
            sim = long_run_sim(make_scenario, days)
            start = time.perf_counter()
            sim.run()
            end = time.perf_counter()
            if end - start >= 0.2:
                break
    finally:
        stop.set()
        thread.join()
    assert end - start >= 0.2, "the longest run was too short to test the GIL"
    inside = [t for t in stamps if start + 0.05 < t < end - 0.05]
    assert len(inside) >= 10


def test_ctrl_c_stops_the_run(make_scenario) -> None:
    sim = long_run_sim(make_scenario, 256)
    timer = threading.Timer(0.05, _thread.interrupt_main)
    with pytest.raises(KeyboardInterrupt):
        timer.start()
        sim.run()
    timer.join()
    assert 0 < sim.tick < sim.n_ticks
    assert not sim.done


def test_columns_and_kpis(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    assert all(isinstance(name, str) and "." in name for name in sim.columns())
    kpis = sim.kpis()
    assert all("." in name and isinstance(value, float) for name, value in kpis.items())
    # the generator hits the number of buildings within 10 %
    assert 18 <= kpis["city.n_buildings"] <= 22
    assert kpis["city.residents"] > 0


def test_checkpoint_and_restore(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    sim.step(3)
    checkpoint = sim.checkpoint()
    assert checkpoint.tick == 3
    sim.step(10)
    sim.restore(checkpoint=checkpoint)
    assert sim.tick == 3
    assert sim.time == np.datetime64("2024-06-20T22:45:00")


def test_repr_shows_tick_and_time(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    sim.step(2)
    assert repr(sim) == "<citytwin.Simulation tick 2/96 at 2024-06-20T22:30:00Z>"
