"""Reverse ETL: plan → approve → outbox → push → verify (issue 7).

Empty for now: the skeleton moves data one way. The folder exists so that the layout of
DESIGN.md is real from the first commit and the next issue extends it instead of inventing one.
"""
