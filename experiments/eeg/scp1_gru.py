"""SelfRegulationSCP1: GRU over the average-pooled multichannel sequence on the raw signal."""

from experiments.eeg._common import raw_config


def get_config():
    return raw_config("scp1", "gru")
