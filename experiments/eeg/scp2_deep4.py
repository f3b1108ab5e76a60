"""SelfRegulationSCP2: Deep4 ConvNet (four conv-pool blocks) on the raw signal."""

from experiments.eeg._common import raw_config


def get_config():
    return raw_config("scp2", "deep4")
