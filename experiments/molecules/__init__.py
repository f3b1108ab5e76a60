"""Molecules: learned representations (SMILES tokens, molecular graphs) against chemical fingerprints on B3DB."""
