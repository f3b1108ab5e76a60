"""Bidirectional LSTM over word embeddings for review sentiment (fresh vs rotten)."""

from experiments import base

VOCAB_SIZE = 20000


def get_config():
    config = base.get_config()
    config.data.name = "rotten_tomatoes"
    config.data.vocab_size = VOCAB_SIZE   # tokenizer fitted on the training split only
    config.data.min_count = 1
    config.data.max_tokens = 64
    config.model.name = "rnn_classifier"
    config.model.vocab_size = VOCAB_SIZE
    config.model.embed_dim = 128
    config.model.embed_dropout = 0.3
    config.model.cell = "lstm"
    config.model.hidden = 128
    config.model.num_layers = 1
    config.model.bidirectional = True
    config.model.dropout = 0.3
    config.model.pooling = "max"
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 2e-3
    config.optimizer.weight_decay = 1e-4
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.num_steps = 400             # ~3 epochs; validation accuracy peaks here, longer runs overfit
    config.batch_size = 64
    config.log_every = 50
    config.eval_every = 100
    config.checkpoint_every = 200
    return config
