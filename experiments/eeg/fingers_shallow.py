"""FingerMovements: ShallowConvNet (temporal + spatial conv, square, mean-pool, log) on the raw signal."""

from experiments.eeg._common import raw_config


def get_config():
    return raw_config("fingers", "shallow")
