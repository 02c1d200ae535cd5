"""Limits that guard against hostile input, kept free of imports so the CLI can show them."""

#: Pillow's own decompression-bomb threshold (about 9459×9459); ``--max-pixels`` raises it.
DEFAULT_MAX_PIXELS = 89_478_485
