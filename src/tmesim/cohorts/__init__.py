"""Virtual populations: priors, seeded per-patient streams."""
