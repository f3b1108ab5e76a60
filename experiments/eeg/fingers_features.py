"""FingerMovements: softmax regression on hand-crafted time and band-power features (the classic pipeline)."""

from experiments.eeg._common import features_config


def get_config():
    return features_config("fingers")
