"""The mechanisms of the tumor–immune system, declared once, symbolically, with no numbers."""

from tmesim.model.builder import Mechanism, Model, ModelBuilder, Observable, ParameterDecl, Species
from tmesim.model.tumor_immune import MECHANISMS, build_model

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "Model",
    "ModelBuilder",
    "Observable",
    "ParameterDecl",
    "Species",
    "build_model",
]
