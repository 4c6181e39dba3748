"""citytwin.Scenario: loading, text, set() with Python values, resolved TOML and its hash."""

from __future__ import annotations

import hashlib
import pathlib
import tomllib

import numpy as np
import pytest

import citytwin
from conftest import scenario_text


def resolved(scenario: citytwin.Scenario) -> dict:
    return tomllib.loads(scenario.resolved_toml)


def test_from_text_keeps_the_keys_and_has_no_path() -> None:
    scenario = citytwin.Scenario.from_text(scenario_text(dt_s=600))
    assert resolved(scenario)["time"]["dt_s"] == 600
    assert resolved(scenario)["city"]["generator"]["n_buildings"] == 20
    assert scenario.path is None


def test_from_text_names_the_text_in_messages_by_keyword() -> None:
    with pytest.raises(citytwin.InputError) as caught:
        citytwin.Scenario.from_text(toml="[time\n", file_name="mine.toml")
    assert caught.value.file == "mine.toml"
    assert str(caught.value).startswith("mine.toml:1:")


def test_from_text_default_file_name_is_inline_toml() -> None:
    with pytest.raises(citytwin.InputError) as caught:
        citytwin.Scenario.from_text("[time\n")
    assert caught.value.file == "inline.toml"


def test_from_text_dir_resolves_relative_paths(tmp_path: pathlib.Path) -> None:
    (tmp_path / "base.toml").write_text("seed = 99\n")
    scenario = citytwin.Scenario.from_text('extends = "base.toml"\n', dir=tmp_path)
    assert resolved(scenario)["seed"] == 99
    assert pathlib.Path(scenario.dir) == tmp_path


@pytest.mark.parametrize("as_type", [str, pathlib.Path])
def test_load_takes_str_and_path_and_hashes_like_the_same_text(
        tmp_path: pathlib.Path, as_type: type) -> None:
    text = scenario_text()
    path = tmp_path / "day.toml"
    path.write_text(text)
    scenario = citytwin.Scenario.load(as_type(path))
    assert pathlib.Path(scenario.path) == path
    assert pathlib.Path(scenario.dir) == tmp_path
    assert scenario.sha256 == citytwin.Scenario.from_text(text).sha256


def test_sha256_is_the_hash_of_the_resolved_toml(scenario: citytwin.Scenario) -> None:
    expected = hashlib.sha256(scenario.resolved_toml.encode()).hexdigest()
    assert scenario.sha256 == expected
    assert len(scenario.sha256) == 64


def test_set_changes_the_hash(scenario: citytwin.Scenario) -> None:
    before = scenario.sha256
    scenario.set("output.compression", 6)
    assert scenario.sha256 != before


def test_set_converts_python_scalars(scenario: citytwin.Scenario) -> None:
    scenario.set("output.compression", 6)
    scenario.set("output.city", False)
    scenario.set("output.flush_interval", 2.5)
    scenario.set("description", "a summer day")
    tree = resolved(scenario)
    assert tree["output"] == {"compression": 6, "city": False, "flush_interval": 2.5}
    assert tree["description"] == "a summer day"


def test_set_converts_nested_lists_and_dicts(scenario: citytwin.Scenario) -> None:
    value = {"b": [1, 2.5, "x", True], "a": {"z": -3}, "t": (4, 5)}
    scenario.set("extra.section", value)
    section = resolved(scenario)["extra"]["section"]
    assert section == {"b": [1, 2.5, "x", True], "a": {"z": -3}, "t": [4, 5]}


def test_set_accepts_numpy_scalars(scenario: citytwin.Scenario) -> None:
    scenario.set("output.compression", np.int64(3))
    scenario.set("output.flush_interval", np.float32(1.5))
    assert resolved(scenario)["output"] == {"compression": 3, "flush_interval": 1.5}


def test_set_with_keywords(scenario: citytwin.Scenario) -> None:
    scenario.set(key_path="seed", value=11)
    assert resolved(scenario)["seed"] == 11


def test_set_assignment_parses_a_toml_value(scenario: citytwin.Scenario) -> None:
    scenario.set("output.compression=5")
    scenario.set(assignment="name=bare_word")
    assert resolved(scenario)["output"]["compression"] == 5
    assert resolved(scenario)["name"] == "bare_word"


def test_set_assignment_without_equals_is_an_input_error(scenario: citytwin.Scenario) -> None:
    with pytest.raises(citytwin.InputError, match="key.path=value"):
        scenario.set("output.compression")


@pytest.mark.parametrize(("value", "message"), [
    (None, r"value: extra.x must be a bool, int, float, str, list or dict \(got NoneType\)"),
    ({1, 2}, r"\(got set\)"),
    ([1, object()], r"extra.x\[1\] must be .*\(got object\)"),
    ({1: "a"}, r"the keys of extra.x must be str \(got 1\)"),
    (2**70, r"extra.x = 1180591620717411303424 does not fit in a 64-bit signed integer"),
])
def test_set_rejects_values_toml_cannot_hold(scenario: citytwin.Scenario, value: object,
                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scenario.set("extra.x", value)


def test_set_below_a_scalar_is_a_value_error(scenario: citytwin.Scenario) -> None:
    with pytest.raises(ValueError, match="'seed' is an integer, not a table"):
        scenario.set("seed.x", 1)


def test_repr_names_the_source_and_hash(scenario: citytwin.Scenario) -> None:
    assert repr(scenario) == f"<citytwin.Scenario text sha256={scenario.sha256[:12]}>"
