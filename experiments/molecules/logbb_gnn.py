"""B3DB logBB regression: graph neural network (GINE message passing) on the molecular graph."""

from experiments.molecules._common import config


def get_config():
    return config("b3db_logbb", "graph", {"name": "gnn", "hidden": 64, "layers": 4, "dropout": 0.1,
                                          "readout": "mean_max"},
                  num_steps=500, batch_size=32)   # the setting measured on scaffold validation RMSE
