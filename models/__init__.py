"""Model zoo: every model is a flax linen Module selected by name from a config.

`create(model_config, num_classes)` is the only entry point the train loop uses, so
adding a model means adding a file and one line in `REGISTRY`.
"""

from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import ml_collections

from models.cnn import SmallCNN
from models.eeg import EEGNet, Deep4, RawGRU, ShallowConvNet
from models.linear import Linear

REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "linear": Linear,
    "cnn": SmallCNN,
    "eeg_shallow": ShallowConvNet,
    "eeg_eegnet": EEGNet,
    "eeg_deep4": Deep4,
    "eeg_gru": RawGRU,
}


def create(model_config: ml_collections.ConfigDict, num_classes: int) -> nn.Module:
    """Builds the model named by `model_config.name`; other keys are its keyword arguments."""
    kwargs: dict[str, Any] = model_config.to_dict()
    name = kwargs.pop("name")
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](num_classes=num_classes, **kwargs)
