"""Benchmarks: ``python -m bench [names...]`` runs them and writes var/bench/results.json.

Each benchmark measures a rate against a baseline taken in the same run, on one
core, interleaved, so a noisy machine moves both numbers together and the ratio
holds. A result below its target ratio makes the run exit non-zero.
"""
