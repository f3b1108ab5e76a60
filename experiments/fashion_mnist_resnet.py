"""ResNet-20 on Fashion-MNIST: SGD with Nesterov momentum, warm-up + cosine, shifts and flips."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "fashion_mnist"
    config.model.name = "resnet"
    config.model.blocks_per_stage = 3   # ResNet-20
    config.optimizer.name = "sgd"
    config.optimizer.learning_rate = 0.1
    config.optimizer.momentum = 0.9
    config.optimizer.nesterov = True
    config.optimizer.weight_decay = 5e-4
    config.schedule.name = "warmup_cosine"
    config.schedule.warmup_steps = 500
    config.augment.crop_padding = 2
    config.augment.flip = True
    config.num_steps = 12000      # ~28 epochs at batch 128
    config.batch_size = 128
    config.eval_every = 2000
    config.checkpoint_every = 1000
    return config
