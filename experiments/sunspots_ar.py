"""Linear autoregression AR(20) on sunspots, fitted by gradient descent: the baseline for sunspots_lstm."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "sunspots"
    config.data.window = 20
    config.model.name = "linear"       # next value = w . (previous 20 years) + b
    config.optimizer.learning_rate = 1e-2
    config.schedule.name = "cosine"
    config.num_steps = 2000
    config.batch_size = 32
    config.eval_batch_size = 64
    config.log_every = 100
    config.eval_every = 500
    config.checkpoint_every = 1000
    return config
