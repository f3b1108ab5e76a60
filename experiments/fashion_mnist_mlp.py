"""Two-hidden-layer MLP on Fashion-MNIST (depth via --config.model.depth for the depth study)."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "mlp"
    config.model.depth = 2
    config.model.width = 512
    config.model.dropout = 0.2
    config.optimizer.learning_rate = 1e-3
    config.schedule.name = "cosine"
    config.num_steps = 8000
    config.batch_size = 128
    config.eval_every = 2000
    config.checkpoint_every = 2000
    return config
