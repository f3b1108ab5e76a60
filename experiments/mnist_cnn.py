"""The mnist5k CNN on the full MNIST from the TFDS catalog (needs a prepared data_dir or the network)."""

from experiments import mnist5k_cnn


def get_config():
    config = mnist5k_cnn.get_config()
    config.data.name = "mnist"
    config.num_steps = 6000
    config.batch_size = 128
    config.eval_every = 2000
    config.checkpoint_every = 2000
    return config
