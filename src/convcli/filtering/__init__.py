"""Filtering: a Picture, a kernel chain and options in; float samples, then output samples, out.

``filters`` runs kernels on channel arrays through the engine, ``pipeline`` chooses the channels
(colour, gray, alpha, premultiplied) and ``quantize`` rounds and clips to the output depth. This
package imports nothing itself, so ``convcli --help`` never loads NumPy through it.
"""
