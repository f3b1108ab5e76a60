"""Inside the layers of a trained run: linear probes, representation similarity (CKA) and pictures.

`python -m analysis --workdir=W` writes `W/analysis/layers.json` and PNGs; `python -m analysis
--compare W1 W2` draws the layer-to-layer CKA between two runs.
"""
