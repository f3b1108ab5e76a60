"""CNN on 5000 real MNIST digits (conv32-pool-conv64-pool-dense256, batch norm), with random shifts."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "mnist5k"
    config.model.name = "vgg"
    config.model.features = (32, 64)
    config.model.convs_per_stage = 1
    config.model.hidden = 256
    config.model.dropout = 0.4
    config.optimizer.learning_rate = 3e-3
    config.schedule.name = "onecycle"
    config.augment.crop_padding = 2
    config.num_steps = 2000
    config.batch_size = 64
    config.eval_every = 500
    return config
