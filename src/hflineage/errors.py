"""One exception type for every problem a user can fix: bad input, a missing file, no network.

The CLI prints ``error: <message>`` (one line) and exits with status 2; notebooks show the same
message.  The message names the file, column or value and says what was expected.
"""

from __future__ import annotations


class HflineageError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class SnapshotError(HflineageError):
    """A snapshot file that cannot be read as a models table (format, columns, rows, checksum)."""


class ParameterError(HflineageError, ValueError):
    """An unknown or out-of-range parameter value."""


class NetworkError(HflineageError):
    """The Hugging Face Hub could not be reached (offline, DNS failure, repeated HTTP errors)."""


def check_choice(name: str, value: object, choices: list[str] | tuple[str, ...]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(
            f"unknown value {value!r} for parameter {name!r}; expected one of: "
            + ", ".join(map(str, choices))
        )
