"""Benchmarks (`make bench`): each module prints its figures; none is a timed test."""
