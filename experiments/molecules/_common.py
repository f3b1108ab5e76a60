"""What the molecule experiments share: one base config per data set, and the settings per representation.

Every `experiments/molecules/<set>_<model>.py` is one call to `config(...)`: the same splits
(`data.split`, scaffold by default; `--config.data.split=random` for the random one), the same
optimiser family and the same batch size, so models differ only in what they read and how.
"""

from __future__ import annotations

import ml_collections

from experiments import base

VOCAB_SIZE = 128        # SMILES token ids: B3DB's training molecules use fewer than 80 distinct tokens
MAX_TOKENS = 128        # 99% of B3DB's canonical SMILES are shorter; longer ones are cut (reported)

DATA = {
    "tokens": {"features": "tokens", "vocab_size": VOCAB_SIZE, "max_tokens": MAX_TOKENS, "randomized_smiles": 0},
    "graph": {"features": "graph"},
    "morgan": {"features": "morgan"},
    "descriptors": {"features": "descriptors"},
}


def config(data_name: str, features: str, model: dict, num_steps: int, learning_rate: float = 1e-3,
           weight_decay: float = 1e-2, batch_size: int = 64, eval_batch_size: int = 256,
           **data_overrides) -> ml_collections.ConfigDict:
    """A run on `data_name` (b3db or b3db_logbb) with `features`, the model `model` and AdamW + cosine decay."""
    cfg = base.get_config()
    cfg.data.update({"name": data_name, "split": "scaffold", "subset": 0, **DATA[features], **data_overrides})
    cfg.model = ml_collections.ConfigDict(model)
    cfg.optimizer.name = "adamw"
    cfg.optimizer.learning_rate = learning_rate
    cfg.optimizer.weight_decay = weight_decay
    cfg.optimizer.grad_clip_norm = 1.0
    cfg.schedule.name = "cosine"
    cfg.num_steps = num_steps
    cfg.batch_size = batch_size
    cfg.eval_batch_size = eval_batch_size
    cfg.log_every = 50
    cfg.eval_every = 0
    cfg.checkpoint_every = num_steps
    cfg.keep_checkpoints = 1
    return cfg
