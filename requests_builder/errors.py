"""What the builders report: a refusal (:class:`BuildError`) or a change they made (:class:`BuildWarning`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# A dataclass for its fields only: compared and shown like any exception (eq=False, repr=False).
@dataclass(eq=False, repr=False)
class BuildError(ValueError):
    """A request cannot be written as QuickBooks would accept it.

    ``field`` is the path of the offending value (``SalesOrderAdd.lines[2].item.full_name``), ``limit``
    the rule it broke (a length, a version, a list of allowed values) and ``value`` what was given.
    """

    field: str
    message: str
    limit: Any = None
    value: Any = None

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        if self.limit is not None:
            text += f" (limit: {self.limit})"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 120:
                shown = shown[:117] + "..."
            text += f"; value: {shown}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.message, self.limit, self.value))


@dataclass(frozen=True, slots=True)
class BuildWarning:
    """A value was changed to fit QuickBooks (cut to a length, characters replaced, field left out)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
