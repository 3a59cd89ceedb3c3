"""Virtual clinical trials: response assessment, survival statistics and endpoint tables."""
