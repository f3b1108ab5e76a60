"""GRU reading each 8x8 digit row by row, as a sequence of 8 steps of 8 pixels."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "digits"
    config.model.name = "rnn_classifier"
    config.model.cell = "gru"
    config.model.hidden = 128
    config.model.num_layers = 1
    config.model.bidirectional = False
    config.model.dropout = 0.1
    config.model.pooling = "last"
    config.optimizer.learning_rate = 3e-3
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.num_steps = 1500
    config.batch_size = 64
    config.eval_every = 500
    return config
