"""B3DB BBB+/BBB-: graph neural network (GINE message passing) on the molecular graph."""

from experiments.molecules._common import config


def get_config():
    return config("b3db", "graph", {"name": "gnn", "hidden": 64, "layers": 4, "dropout": 0.1,
                                    "readout": "mean_max"},
                  num_steps=1500)   # the setting measured on scaffold validation (MOLECULES.md)
