"""Softmax regression on Fashion-MNIST's raw pixels: the hand-fed baseline."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "linear"
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 2e-3
    config.optimizer.weight_decay = 1e-3
    config.schedule.name = "cosine"
    config.num_steps = 8000
    config.batch_size = 128
    config.eval_every = 2000
    config.checkpoint_every = 2000
    return config
