"""What layerwise reports about finished runs: results pages, comparison tables, plots and text samples.

Everything here reads run directories (config.json, metrics.jsonl, summary.json, checkpoints); the
training core never imports it. `python -m reports.results` regenerates experiments/RESULTS.md,
`python -m reports.report DIR...` compares runs (a sweep ends by calling it), `python -m reports.sample`
draws text from a trained language model.
"""
