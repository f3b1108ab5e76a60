"""`python -m reports.sample --workdir=W --prompt=TEXT --temperature=T`: text from a trained language model.

Reads the run's config.json and newest checkpoint, feeds the prompt through the recurrent model,
then draws `--length` tokens one at a time, each from softmax(logits / temperature), carrying the
state from token to token. The whole generation is one compiled `lax.scan`; `--seed` fixes the draws.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

from train import runtime

flags.DEFINE_string("workdir", None, "A finished or checkpointed language-model run.")
flags.DEFINE_string("prompt", "\n", "Text the generation continues (escape sequences such as \\n are read).")
flags.DEFINE_float("temperature", 0.8, "Softmax temperature: lower is more conservative, 1 samples the model as is.")
flags.DEFINE_integer("length", 500, "Tokens to generate after the prompt.")
flags.DEFINE_integer("seed", 0, "Seed of the draws.")
FLAGS = flags.FLAGS


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def load_run(workdir: Path) -> tuple[Any, Any, tuple[str, ...]]:
    """(model, params, vocabulary) of the language-model run in `workdir`."""
    import layerwise

    run = layerwise.restore(workdir)
    if run.dataset.task != "language_model" or not run.dataset.vocabulary:
        raise ValueError(f"run {workdir} trained on {run.dataset.name!r}, a {run.dataset.task} data set; "
                         "sampling needs a language model with a vocabulary")
    return run.model, run.state.params, tuple(run.dataset.vocabulary)


def generate(model: Any, params: Any, prompt_ids: Sequence[int], length: int, temperature: float,
             seed: int) -> list[int]:
    """Ids of `length` tokens drawn after `prompt_ids` (the prompt's last token starts the draws)."""
    import jax
    import jax.numpy as jnp

    def run(carry: Any, tokens: jax.Array) -> tuple[jax.Array, Any]:
        logits, updates = model.apply({"params": params}, tokens, train=False, carry=carry, mutable=["carry"])
        return logits[:, -1], updates["carry"]["final"]

    @jax.jit
    def sample(prompt: jax.Array, key: jax.Array) -> jax.Array:
        logits, carry = run(model.initial_carry(1), prompt[None])

        def body(state, step_key):
            logits, carry = state
            token = jax.random.categorical(step_key, logits / temperature)
            logits, carry = run(carry, token[:, None])
            return (logits, carry), token[0]

        _, tokens = jax.lax.scan(body, (logits, carry), jax.random.split(key, length))
        return tokens

    return [int(t) for t in sample(jnp.asarray(prompt_ids, jnp.int32), jax.random.key(seed))]


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        _fail(f"unexpected arguments: {' '.join(argv[1:])}")
    runtime.configure_cpu()  # before JAX starts its backend
    logging.set_verbosity(logging.WARNING)  # library chatter off: the text is the output
    if not FLAGS.workdir:
        _fail("--workdir is required: the directory of a trained language-model run")
    if FLAGS.temperature <= 0 or FLAGS.length < 1:
        _fail("--temperature must be > 0 and --length >= 1")
    prompt = FLAGS.prompt.encode("latin-1", "backslashreplace").decode("unicode_escape")
    if not prompt:
        _fail("--prompt must hold at least one character")
    from train.checkpoint import CheckpointError

    try:
        model, params, vocabulary = load_run(Path(FLAGS.workdir))
    except (ValueError, CheckpointError) as error:
        _fail(str(error))
    index = {token: i for i, token in enumerate(vocabulary)}
    unknown = sorted({c for c in prompt if c not in index})
    if unknown:
        _fail(f"--prompt holds characters outside the vocabulary: {unknown!r}")
    ids = generate(model, params, [index[c] for c in prompt], FLAGS.length, FLAGS.temperature, FLAGS.seed)
    print(prompt + "".join(vocabulary[i] for i in ids))


if __name__ == "__main__":
    app.run(main)
