"""Shared fixtures for the whole suite."""

from __future__ import annotations

import pytest

from tmesim.model import build_model


@pytest.fixture(scope="session")
def model():
    return build_model()
