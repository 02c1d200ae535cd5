"""Runs: one file's job end to end, many files in a batch, tiled (Dask) images and clusters.

This package imports nothing itself, so ``convcli --help`` never loads NumPy through it.
"""
