"""The registry: every experiment file is found, described, and builds a model on its data."""

import pytest

import experiments


def test_registry_lists_the_digits_experiments_with_descriptions():
    described = experiments.describe()
    assert {"digits_cnn", "digits_linear"} <= set(described)
    assert "base" not in described
    assert all(line for line in described.values())


def test_unknown_experiment_lists_valid_names():
    with pytest.raises(experiments.UnknownExperimentError, match="valid experiments: .*digits_cnn"):
        experiments.get_config("digits_transformer")


def test_config_is_locked_against_new_keys():
    config = experiments.get_config("digits_cnn")
    assert config.experiment == "digits_cnn"
    with pytest.raises(AttributeError):
        config.no_such_key = 1


@pytest.mark.parametrize("name", experiments.names())
def test_every_experiment_config_is_valid(name):
    import models
    from train import loop, optim
    config = experiments.get_config(name)
    loop.validate_config(config)
    models.create(config.model, num_classes=10)
    optim.optimizer(config)
