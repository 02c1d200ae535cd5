"""Images: the Picture value and everything that reads or writes one, with no terminal.

Pillow, PNG (8/16-bit, convcli's own encoder), .npy and text matrices, fsspec URLs, atomic
output files, the pixel limit and the array views ``show`` prints. Modules are imported one by
one (this package imports nothing), so the command line's start-up stays free of NumPy.
"""
