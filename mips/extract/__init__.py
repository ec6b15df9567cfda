"""Extraction: discrete states read from a network's hidden states (clusters, behaviour on
probes, an integer lattice, counters)."""
