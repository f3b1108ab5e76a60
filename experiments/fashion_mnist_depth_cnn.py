"""Depth study, CNN side: Fashion-MNIST at a fixed budget of 1000 steps; only the number of conv stages changes.

Each stage is conv3x3 + batch norm + ReLU + 2x2 max-pool with 16, 32, 64, 128 channels; then a
dense layer of 128 and the logits. Sweep `model.features` over (16,), (16,32), (16,32,64),
(16,32,64,128); optimiser, schedule and budget match `fashion_mnist_depth_mlp`.
"""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "vgg"
    config.model.features = (16, 32)
    config.model.convs_per_stage = 1
    config.model.hidden = 128
    config.optimizer.learning_rate = 2e-3
    config.schedule.name = "onecycle"
    config.num_steps = 1000       # ~2.3 epochs: a fixed budget, the same for every depth and model
    config.batch_size = 128
    config.eval_every = 500
    config.checkpoint_every = 1000
    return config
