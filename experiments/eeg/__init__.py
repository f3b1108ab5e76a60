"""EEG experiments: deep networks on raw UEA EEG signals against the classic feature pipeline."""
