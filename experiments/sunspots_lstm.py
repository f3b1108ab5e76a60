"""LSTM forecasting next year's sunspot number from the previous 20 years (vs persistence and AR)."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "sunspots"
    config.data.window = 20
    config.model.name = "rnn_regressor"
    config.model.cell = "lstm"
    config.model.hidden = 32
    config.model.num_layers = 1
    config.model.dropout = 0.0
    config.optimizer.learning_rate = 3e-3
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.num_steps = 300             # chosen on validation RMSE: 209 training windows overfit quickly
    config.batch_size = 32
    config.eval_batch_size = 64
    config.log_every = 50
    config.eval_every = 100
    config.checkpoint_every = 100
    return config
