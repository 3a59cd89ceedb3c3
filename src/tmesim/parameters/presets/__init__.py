"""parameters/presets"""
