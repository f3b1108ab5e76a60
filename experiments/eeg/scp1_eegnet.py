"""SelfRegulationSCP1: EEGNet (temporal conv, depthwise spatial conv, separable conv) on the raw signal."""

from experiments.eeg._common import raw_config


def get_config():
    return raw_config("scp1", "eegnet")
