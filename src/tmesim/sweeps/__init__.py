"""Combination design: sweeps of doses, schedules and sequences over a virtual study, with synergy.

`design` makes the points, `run` runs a virtual study per point on the same virtual patients,
`endpoints` reads each point's endpoints, `synergy` compares a combination with its agents, and
`report` draws the sweep's HTML page.
"""
