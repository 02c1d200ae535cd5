"""The exceptions convcli raises, each carrying a message written for a person.

This module imports nothing, so every layer can use it without pulling in dependencies.
"""


class ConvcliError(Exception):
    """Base of every error convcli reports to a user."""


class UsageError(ConvcliError):
    """The command was asked for something impossible: bad usage, not bad data (exit 2)."""


class EngineArgumentError(UsageError, ValueError):
    """An argument to the convolution engine is invalid."""


class KernelError(ConvcliError, ValueError):
    """A kernel could not be found, read or built."""


class ImageReadError(ConvcliError):
    """An image could not be read or decoded."""


class ImageWriteError(ConvcliError):
    """An output could not be written."""
