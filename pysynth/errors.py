"""Exception types shared across pysynth.

Every error a user can cause (bad parameters, bad files, unknown names) is a
``PysynthError`` so the CLI can print it as one clean line without a traceback.
"""

from __future__ import annotations


class PysynthError(Exception):
    """Base class for errors caused by input: shown to the user without a traceback."""


class ParameterError(PysynthError, ValueError):
    """A parameter has an invalid value; the message names the parameter and the value."""


class AudioFileError(PysynthError):
    """An audio file could not be read or written; the message names the file."""


class ModelFileError(PysynthError):
    """A model file is missing, truncated, tampered with, or of an unknown format version."""


class UnknownNameError(PysynthError, KeyError):
    """A registry lookup failed; the message lists the known names and the closest match."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DatasetError(PysynthError):
    """A dataset folder is missing, incomplete, or its manifest is malformed; names the path."""
