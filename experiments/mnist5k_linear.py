"""Softmax regression on 5000 real MNIST digits (784 raw pixels): the hand-fed baseline."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "mnist5k"
    config.model.name = "linear"
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 5e-3
    config.optimizer.weight_decay = 1e-2
    config.schedule.name = "cosine"
    config.num_steps = 3000
    config.batch_size = 128
    config.eval_every = 500
    return config
