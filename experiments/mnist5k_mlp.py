"""Two-hidden-layer MLP on 5000 real MNIST digits."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "mnist5k"
    config.model.name = "mlp"
    config.model.depth = 2
    config.model.width = 512
    config.model.dropout = 0.3
    config.optimizer.learning_rate = 1e-3
    config.schedule.name = "cosine"
    config.num_steps = 3000
    config.batch_size = 128
    config.eval_every = 500
    return config
