"""The rooms stay as built: `train/` is the training core (small, short functions, no study or report code),
every config follows one schema, and the EEG family is one parameterised config."""

from __future__ import annotations

import ast
from pathlib import Path

import ml_collections
import pytest

import experiments
from conftest import ROOT

TRAIN = ROOT / "train"


def _modules(directory: Path) -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text()) for path in sorted(directory.glob("*.py"))}


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_the_training_core_imports_no_experiment_and_no_report():
    for path, tree in _modules(TRAIN).items():
        bad = {name for name in _imported(tree)
               if name.startswith(("experiments.", "reports", "analysis")) or name == "experiments.base"}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_training_core_is_small_and_its_functions_fit_on_a_screen():
    lines = sum(len(path.read_text().splitlines()) for path in TRAIN.glob("*.py"))
    assert lines < 2000, f"train/ has {lines} lines"
    for path, tree in _modules(TRAIN).items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path.name}:{node.name} has {length} lines"


def test_the_loop_asks_the_task_not_which_task_it_is():
    for name in ("loop.py", "setup.py", "fit.py", "hooks.py", "feed.py", "call.py", "select.py"):
        assert "tasks.CLASSIFICATION" not in (TRAIN / name).read_text(), name


@pytest.mark.parametrize("room", ["data", "analysis", "reports"])
def test_generic_rooms_read_no_study(room):
    """Reports may look experiments up by name in the registry; none of these rooms reads a study's own module."""
    for path, tree in _modules(ROOT / room).items():
        assert not {n for n in _imported(tree) if n.startswith("experiments.")}, path.name
        assert room != "data" or "experiments" not in _imported(tree), path.name


def test_every_experiment_follows_the_base_schema():
    for name in experiments.names():
        experiments.get_config(name)  # raises if an experiment adds a key outside `model` or drops one


def test_an_experiment_that_adds_a_key_or_replaces_a_group_is_refused():
    from experiments import base

    config = base.get_config()
    config.data.colour = "red"
    with pytest.raises(ValueError, match=r"keys added \['data.colour'\]"):
        experiments.check_schema("bad", config)
    config = base.get_config()
    config.data = ml_collections.ConfigDict({"name": "digits"})
    with pytest.raises(ValueError, match="keys missing"):
        experiments.check_schema("bad", config)


def test_the_eeg_family_lists_thirty_six_variants_with_their_descriptions():
    names = [name for name in experiments.names() if name.startswith("eeg/")]
    assert len(names) == 36 and "eeg/scp1_shallow" in names and "eeg/fingers_features" in names
    assert "eeg/blink_spatial_mlp" in names and "eeg/eyes_shallow_ea" in names  # the recipes chosen on validation
    listing = experiments.listing()
    assert "eeg/scp1_eegnet" in listing and "SelfRegulationSCP1: EEGNet" in listing
    config = experiments.get_config("eeg/fingers_spatial")
    assert config.data.name == "uea/FingerMovements" and config.model.name == "eeg_spatial"
    assert config.model.windows == 5 and config.optimizer.learning_rate == 1e-2 and config.num_steps == 3000
    recipe = experiments.get_config("eeg/fingers_spatial_mlp")
    assert recipe.select.metric == "validation.accuracy" and recipe.eval_every == 100 and recipe.model.hidden == 16
    assert (recipe.data.reference, recipe.data.align) == ("average", "euclidean")
    features = experiments.get_config("eeg/scp1_features")
    assert features.data.name == "uea_features/SelfRegulationSCP1" and features.data.band_high_hz == 40.0
    with pytest.raises(experiments.UnknownExperimentError, match="unknown experiment 'eeg/scp9_shallow'"):
        experiments.get_config("eeg/scp9_shallow")
