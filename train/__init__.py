"""layerwise's training core: a pure jitted train step, the loop around it (setup, fit, finish), and the command line."""
