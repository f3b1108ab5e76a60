"""Softmax linear classifier on sklearn digits: the baseline the deep models must beat."""

from experiments import base


def get_config():
    config = base.get_config()
    config.model.name = "linear"
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 5e-2
    config.optimizer.weight_decay = 1e-2
    config.schedule.name = "cosine"
    config.num_steps = 3000
    config.batch_size = 64
    config.eval_every = 500     # validation accuracy along the way
    return config
