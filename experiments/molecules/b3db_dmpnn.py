"""B3DB BBB+/BBB-: directed message passing (D-MPNN, chemprop's design) on the molecular graph."""

from experiments.molecules._common import config


def get_config():
    # dropout 0.2, depth 4 and the mean+max readout chosen on validation (MOLECULES.md)
    return config("b3db", "graph", {"name": "dmpnn", "hidden": 300, "depth": 4, "dropout": 0.2, "readout": "mean_max"},
                  num_steps=3000)
