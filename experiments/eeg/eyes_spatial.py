"""EyesOpenShut: learned spatial filters, time-segment means and a linear read-out on the raw signal."""

from experiments.eeg._common import raw_config


def get_config():
    return raw_config("eyes", "spatial")
