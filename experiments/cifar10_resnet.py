"""ResNet-20 on CIFAR-10 from the TFDS catalog (needs a prepared data_dir or the network)."""

from experiments import fashion_mnist_resnet


def get_config():
    config = fashion_mnist_resnet.get_config()
    config.data.name = "cifar10"
    config.augment.crop_padding = 4
    config.num_steps = 64000      # the paper's schedule length at batch 128
    return config
