"""GRU identifying 9 speakers from variable-length LPC speech features (UEA JapaneseVowels)."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "uea/JapaneseVowels"   # inputs [N, time, 12 channels] zero-padded, with `lengths`
    config.data.standardize = True            # LPC coefficients differ in scale by channel: z-score on train
    config.model.name = "rnn_classifier"
    config.model.cell = "gru"
    config.model.hidden = 128
    config.model.num_layers = 1
    config.model.bidirectional = True
    config.model.dropout = 0.2
    config.model.pooling = "last"         # masked: the state after each utterance's own last frame
    config.optimizer.learning_rate = 3e-3
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.num_steps = 1500
    config.batch_size = 32
    config.eval_every = 500
    config.checkpoint_every = 500
    return config
