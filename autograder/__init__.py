"""Course tooling for "Automatic differentiation, from dual numbers to JAX".

- release: solutions/<id>/<id>.py -> solutions/<id>/<id>.ipynb -> notebooks/<id>/<id>.ipynb
- grading: the hardened grader (sandbox, restored cells, trusted verdicts, reports)
- probes / checks / reference: hidden-test logic, importable and unit-tested
"""
