"""CNN on Fashion-MNIST: conv32-pool-conv64-pool-dense256 with batch norm, dropout, shifts and flips."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "vgg"
    config.model.features = (32, 64)
    config.model.convs_per_stage = 1
    config.model.hidden = 256
    config.model.dropout = 0.4
    config.optimizer.learning_rate = 3e-3
    config.schedule.name = "onecycle"
    config.augment.crop_padding = 2
    config.augment.flip = True    # clothes are left-right symmetric classes
    config.num_steps = 8000       # ~19 epochs at batch 128
    config.batch_size = 128
    config.eval_every = 1000
    config.checkpoint_every = 1000
    return config
