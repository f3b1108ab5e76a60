"""Model selection on validation: keep the best state seen at the validation evaluations, stop when it stalls.

With `select.metric=validation.<name>` every evaluation (`eval_every` steps, and the last step) is
compared with the best so far (lower is better for losses and errors, higher for accuracy, equal
accuracies broken by the lower validation loss); an
improvement is saved in WORKDIR/best, and the final evaluation uses that state. With
`select.patience=N` training stops after N evaluations without improvement. The record of past
evaluations is metrics.jsonl itself, truncated to the restored step on resume, so a resumed or
repeated run makes exactly the decisions an uninterrupted one makes.
"""

from __future__ import annotations

from typing import Any

from train.checkpoint import Checkpointer
from train.errors import ConfigError
from train.logs import records, say

LOWER_IS_BETTER = ("loss", "rmse", "bits_per_token")


class Selection:
    """The best validation value so far, its step, and the evaluations since; `stop` once patience runs out."""

    def __init__(self, run: Any) -> None:
        config = run.config
        self.key = config.select.metric.removeprefix("validation.")
        self.lower, self.patience = self.key in LOWER_IS_BETTER, config.select.patience
        self.best_step, self.best_value, self.best_score, self.waited, self.stop = None, None, None, 0, False
        # The two newest bests: after a resume drops one found past the restored step (it is found again),
        # the best up to that step is still there.
        self.checkpointer = Checkpointer(run.workdir / "best", 2, warn=say)
        self.checkpointer.drop_after(run.start_step)
        for record in records(run.workdir, "validation", up_to=run.start_step):  # replay the restored run's past
            self.observe(record["step"], record, state=None)

    def observe(self, step: int, metrics: dict[str, float], state: Any) -> None:
        if self.key not in metrics:
            raise ConfigError(f"select.metric=validation.{self.key}: validation reports {sorted(metrics)}")
        value, loss = metrics[self.key], metrics.get("loss", 0.0)  # equal accuracies: the lower loss is better
        score = (value, loss) if self.lower else (-value, loss)
        if self.best_value is None or score < self.best_score:
            self.best_step, self.best_value, self.best_score, self.waited = step, value, score, 0
            if state is not None:
                self.checkpointer.save(step, state)
        else:
            self.waited += 1
        self.stop = bool(self.patience) and self.waited >= self.patience

    def best_state(self, like: Any) -> Any:
        """The saved best state, shaped like `like`."""
        self.checkpointer.wait()
        return self.checkpointer.restore(like, only=self.best_step)[0]
