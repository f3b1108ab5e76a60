"""Depth study, MLP side: Fashion-MNIST at a fixed budget of 1000 steps; only `model.depth` changes.

Hidden layers of 256 units, no regularisation, Adam with a one-cycle schedule; the CNN side
(`fashion_mnist_depth_cnn`) shares the optimiser, schedule and budget. Swept over depths 1-8
(commands and results in experiments/RESULTS.md).
"""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "mlp"
    config.model.depth = 2
    config.model.width = 256
    config.optimizer.learning_rate = 2e-3
    config.schedule.name = "onecycle"
    config.num_steps = 1000       # ~2.3 epochs: a fixed budget, the same for every depth and model
    config.batch_size = 128
    config.eval_every = 500
    config.checkpoint_every = 1000
    return config
