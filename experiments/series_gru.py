"""Bidirectional GRU for time series of your own (--config.data.path=PREFIX of PREFIX_TRAIN.ts, or uea/<Problem>)."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "ts"           # needs --config.data.path=PREFIX; any uea/<Problem> works too
    config.data.standardize = True    # channels differ in scale: z-score with training statistics
    config.model.name = "rnn_classifier"
    config.model.cell = "gru"
    config.model.hidden = 64
    config.model.num_layers = 1
    config.model.bidirectional = True
    config.model.dropout = 0.1
    config.model.pooling = "mean"     # masked mean over time: long series forget less than with the last state
    config.optimizer.learning_rate = 3e-3
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.num_steps = 1000
    config.batch_size = 16
    config.eval_every = 250
    config.checkpoint_every = 500
    return config
