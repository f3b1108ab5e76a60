"""`--config.KEY=VALUE` parsing: types follow the defaults; unknown keys and bad values name the fix."""

import pytest

import experiments
from train import overrides


@pytest.fixture
def config():
    return experiments.get_config("digits_cnn")


def test_values_take_the_type_of_their_default(config):
    overrides.apply(config, [("optimizer.learning_rate", "0.01"), ("num_steps", "1_000"),
                             ("optimizer.nesterov", "true"), ("model.features", "(16, 32, 64)"),
                             ("optimizer.name", "sgd"), ("optimizer.weight_decay", "1")])
    assert config.optimizer.learning_rate == 0.01
    assert config.num_steps == 1000
    assert config.optimizer.nesterov is True
    assert config.model.features == (16, 32, 64)
    assert config.optimizer.name == "sgd"
    assert config.optimizer.weight_decay == 1.0 and isinstance(config.optimizer.weight_decay, float)


@pytest.mark.parametrize("key, value, message", [
    ("optimizer.lrr", "1", "unknown config key 'optimizer.lrr'.*valid keys: optimizer.grad_clip_norm"),
    ("optimiser.learning_rate", "1", "unknown config key 'optimiser.learning_rate'.*did you mean 'optimizer.learning_rate'"),
    ("num_steps", "abc", "config key 'num_steps' takes an int, got 'abc'"),
    ("num_steps", "2.5", "takes an int"),
    ("optimizer.nesterov", "maybe", "takes a bool"),
    ("optimizer.learning_rate", "fast", "takes a float"),
    ("model.features", "(1.5, 2)", "takes a tuple of int"),
    ("optimizer", "adam", "is a group; set one of: optimizer.grad_clip_norm"),
])
def test_bad_overrides_raise_one_line(config, key, value, message):
    with pytest.raises(overrides.OverrideError, match=message) as info:
        overrides.apply(config, [(key, value)])
    assert "\n" not in str(info.value)


def test_split_argv_takes_both_forms():
    rest, pairs = overrides.split_argv(["prog", "--config.a=1", "--workdir=w", "--config.b.c", "x y"])
    assert rest == ["prog", "--workdir=w"]
    assert pairs == [("a", "1"), ("b.c", "x y")]
