"""B3DB BBB+/BBB-: directed message passing (D-MPNN, chemprop's design) on the molecular graph."""

from experiments.molecules._common import config


def get_config():
    return config("b3db", "graph", {"name": "dmpnn", "hidden": 300, "depth": 3, "dropout": 0.2, "readout": "mean"},
                  num_steps=3000)   # dropout 0.2 chosen on validation (MOLECULES.md)
