"""citytwin.energy: loading element tables, in-place injections, power-flow results as arrays."""
import os
import pathlib

import numpy as np
import pytest

import citytwin

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("CITYTWIN_DATA", ROOT.parent / "shared" / "data"))
CASE33 = DATA / "grid" / "case33bw" / "network"


@pytest.fixture
def net():
    if not CASE33.exists():
        pytest.skip(f"real data missing: {CASE33}")
    return citytwin.energy.load_network(CASE33)


def test_case33bw_published_values(net):
    result = net.power_flow()
    assert result["converged"]
    vm = result["bus"]["vm_pu"]
    assert vm.shape == net.bus["id"].shape
    assert int(np.argmin(vm)) == 17  # bus 18 of Baran & Wu, 0-based here
    assert round(float(vm.min()), 4) == 0.9131
    assert abs(result["loss_p_mw"] * 1000 - 202.7) < 0.1


def test_injections_are_writeable_views_that_change_the_next_solution(net):
    base = net.power_flow()
    load = net.load
    assert load["p_mw"].flags.writeable
    load["p_mw"][:] *= 0.5
    load["q_mvar"][:] *= 0.5
    assert np.shares_memory(load["p_mw"], net.load["p_mw"])
    half = net.power_flow(method="zbus", warm_start=True)
    assert half["converged"]
    assert half["loss_p_mw"] < base["loss_p_mw"] / 3  # losses scale roughly with the square of the load
    # energy balance: slack = loads - generation + losses
    total_load = float(np.sum(half["load"]["p_mw"]))
    assert abs(half["ext_grid"]["p_mw"][0] - (total_load + half["loss_p_mw"])) < 1e-6


def test_newton_and_zbus_agree(net):
    nr = net.power_flow(method="nr", tolerance_mva=1e-10)
    zb = net.power_flow(method="zbus", tolerance_mva=1e-10)
    assert np.max(np.abs(nr["bus"]["vm_pu"] - zb["bus"]["vm_pu"])) < 1e-8
    with pytest.raises(ValueError, match="'nr' or 'zbus'"):
        net.power_flow(method="gauss")


def test_bad_folder_is_an_input_error(tmp_path):
    with pytest.raises(citytwin.InputError):
        citytwin.energy.load_network(tmp_path / "missing")
