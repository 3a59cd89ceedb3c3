"""tmesim: the tumor–immune system under immunotherapy, simulated."""

__version__ = "0.1.0"
