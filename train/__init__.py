"""layerwise's training: a pure jitted train step, the loop around it, and the command line."""
