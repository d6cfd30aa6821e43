"""Benchmarks of monitor: `python -m bench` (see bench/README.md).

Each module measures one figure of issue 5 against a baseline measured in the same run
and returns `Figure`s; nothing here asserts a figure (a broken benchmark fails, a slow
one only prints).
"""
