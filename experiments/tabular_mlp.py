"""MLP for a table of your own (--config.data.path=FILE.csv, or vectors in an npz): standardised columns in, classes or a number out."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "csv"          # needs --config.data.path=FILE.csv; npz vectors work too
    config.model.name = "mlp"
    config.model.depth = 2
    config.model.width = 128
    config.model.dropout = 0.2
    config.optimizer.learning_rate = 1e-3
    config.optimizer.weight_decay = 1e-4
    config.schedule.name = "cosine"
    config.num_steps = 1000
    config.batch_size = 32
    config.eval_every = 200
    config.checkpoint_every = 500
    return config
