"""Character-level LSTM language model on Shakespeare's works, tested on whole held-out plays."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "shakespeare_chars"
    config.data.seq_len = 100          # characters per segment: the truncation length of backpropagation
    config.model.name = "rnn_lm"
    config.model.cell = "lstm"
    config.model.hidden = 256
    config.model.num_layers = 1
    config.model.embed_dim = 64
    config.model.dropout = 0.0
    config.optimizer.learning_rate = 3e-3
    config.optimizer.grad_clip_norm = 1.0   # exploding gradients through time
    config.schedule.name = "cosine"
    config.num_steps = 4000
    config.batch_size = 64             # parallel streams of text, each carrying its state across steps
    config.eval_batch_size = 256
    config.log_every = 100
    config.eval_every = 1000
    config.checkpoint_every = 500
    return config
