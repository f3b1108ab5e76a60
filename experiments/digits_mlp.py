"""Two-hidden-layer MLP on sklearn digits: depth without a spatial prior, between linear and CNN."""

from experiments import base


def get_config():
    config = base.get_config()
    config.model.name = "mlp"
    config.model.depth = 2
    config.model.width = 256
    config.model.dropout = 0.2
    config.optimizer.learning_rate = 2e-3
    config.schedule.name = "cosine"
    config.num_steps = 3000
    config.batch_size = 64
    config.eval_every = 500
    return config
