"""Bag-of-words logistic regression for review sentiment: the baseline rotten_tomatoes_lstm must beat."""

from experiments import base, rotten_tomatoes_lstm


def get_config():
    config = base.get_config()
    config.data = rotten_tomatoes_lstm.get_config().data   # the same splits and tokenizer
    config.model.name = "bow"
    config.model.vocab_size = rotten_tomatoes_lstm.VOCAB_SIZE
    config.model.binary = True           # word presence, as in the classic sentiment baselines
    config.optimizer.name = "adam"
    config.optimizer.learning_rate = 1e-2
    config.optimizer.weight_decay = 1e-4   # L2 regularisation of the logistic regression
    config.schedule.name = "cosine"
    config.num_steps = 500             # chosen with weight_decay and binary on validation accuracy
    config.batch_size = 128
    config.log_every = 50
    config.eval_every = 100
    config.checkpoint_every = 500
    return config
