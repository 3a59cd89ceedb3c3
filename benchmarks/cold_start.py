"""Cold start: seconds from an empty cache to the first result, in a new process.

Runs one short simulation of a preset (code generation of the model with its exact Jacobian, the
numba compilation of its kernel, the solve) in a fresh Python process whose tmesim cache
(`TMESIM_CACHE_DIR`) is a new empty folder, then once more in another process on the now warm
cache. Prints both wall times, `cold_start_seconds` last.

    python benchmarks/cold_start.py [--preset human_melanoma]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FIRST_RESULT = """
import numpy as np
from tmesim.simulation import Simulation
sim = Simulation({preset!r})
result = sim.solve(7.0)
assert np.isfinite(result.observables).all()
"""


def _run(preset: str, cache: str) -> float:
    env = dict(os.environ, TMESIM_CACHE_DIR=cache)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FIRST_RESULT.format(preset=preset)], env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="human_melanoma")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        cold = _run(args.preset, cache)
        warm = _run(args.preset, cache)
    print(f"preset {args.preset}: first result from an empty cache {cold:.1f} s; warm {warm:.1f} s")
    print(f"cold_start_seconds: {cold:.1f}")


if __name__ == "__main__":
    main()
