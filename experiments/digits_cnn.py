"""Small CNN on sklearn digits (8x8): convolutions learn strokes from raw pixels."""

from experiments import base


def get_config():
    config = base.get_config()
    config.model.name = "cnn"
    config.model.features = (32, 64)
    config.model.hidden = 128
    config.model.dropout = 0.25
    config.optimizer.learning_rate = 2e-3
    config.schedule.name = "cosine"
    config.augment.crop_padding = 1   # +-1 pixel shifts: ~1% test accuracy on 8x8 digits
    config.num_steps = 1200
    config.batch_size = 64
    config.eval_every = 200     # validation accuracy along the way
    return config
