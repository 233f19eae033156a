"""Partial changes: the marker for a field that a change leaves as it is."""

from __future__ import annotations

import enum
from typing import Final


class Unset(enum.Enum):
    """The type of UNSET, so that ``value is not UNSET`` narrows a field's type."""

    UNSET = enum.auto()


# Not None: for some fields (a badge's default validity, a course's completion badge) None is a
# value a change can set, to remove it.
UNSET: Final = Unset.UNSET
