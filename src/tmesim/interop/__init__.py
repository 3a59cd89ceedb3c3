"""Exchange with other tools: SBML out and in (libSBML), NONMEM-style dosing tables.

The SBML modules need the optional extra `pip install tmesim[interop]` (python-libsbml, and
libroadrunner for checking); the NONMEM tables need nothing beyond the core install.
"""
