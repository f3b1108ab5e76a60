"""Model zoo: every model is a flax linen Module selected by name from a config.

`create(model_config, num_classes)` is the only entry point the train loop uses, so
adding a model means adding a file and one line in `REGISTRY`.
"""

from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import jax.numpy as jnp
import ml_collections

import kernels as kernels_lib

from models.bow import BagOfWords
from models.cnn import SmallCNN
from models.eeg import EEGNet, Deep4, RawGRU, ShallowConvNet, SpatialMeanNet
from models.dmpnn import DMPNN
from models.gnn import GNN
from models.lenet import LeNet5
from models.linear import Linear
from models.mlp import MLP
from models.resnet import ResNet
from models.rnn import RNNClassifier, RNNLanguageModel, RNNRegressor
from models.token_cnn import TokenCNN
from models.vgg import VGG

REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "linear": Linear,
    "cnn": SmallCNN,
    "mlp": MLP,
    "lenet": LeNet5,
    "vgg": VGG,
    "resnet": ResNet,
    "rnn_classifier": RNNClassifier,
    "rnn_lm": RNNLanguageModel,
    "rnn_regressor": RNNRegressor,
    "bow": BagOfWords,
    "eeg_shallow": ShallowConvNet,
    "eeg_eegnet": EEGNet,
    "eeg_deep4": Deep4,
    "eeg_gru": RawGRU,
    "eeg_spatial": SpatialMeanNet,
    "gnn": GNN,
    "dmpnn": DMPNN,
    "token_cnn": TokenCNN,
}


DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def create(model_config: ml_collections.ConfigDict, num_classes: int, dtype: str = "float32",
           kernels: str = "auto") -> nn.Module:
    """Builds the model named by `model_config.name`; other keys are its keyword arguments.

    `dtype` is the compute dtype of models that take one (parameters stay float32; bfloat16 halves
    activation memory and uses the accelerators' fast matrix units). `kernels` (auto | xla | onednn,
    `kernels.resolve`) chooses the CPU kernels of models that have that setting.
    """
    kwargs: dict[str, Any] = model_config.to_dict()
    name = kwargs.pop("name")
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(sorted(REGISTRY))}")
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; valid dtypes: {', '.join(DTYPES)}")
    module = REGISTRY[name]
    if dtype != "float32":
        if "dtype" not in module.__dataclass_fields__:
            raise ValueError(f"model {name!r} has no dtype setting; use --config.dtype=float32")
        kwargs["dtype"] = DTYPES[dtype]
    unknown = sorted(set(kwargs) - set(module.__dataclass_fields__))
    if unknown:
        settings = sorted(set(module.__dataclass_fields__) - {"num_classes", "parent", "name"})
        raise ValueError(f"model {name!r} takes no settings {unknown}; its settings: {', '.join(settings)} "
                         "(the experiment's model settings are for another model: choose an experiment made for it)")
    if "kernels" in module.__dataclass_fields__:
        kwargs["kernels"] = kernels_lib.resolve(kernels)
    return module(num_classes=num_classes, **kwargs)


def num_params(params: Any) -> int:
    """Number of scalar parameters in a parameter tree."""
    import jax
    import numpy as np

    return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))
