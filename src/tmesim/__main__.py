"""`python -m tmesim` runs the command line."""

from tmesim.cli import app

app()
