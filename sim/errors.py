"""Errors a user can act on: each names the file, line, field, what is wrong and the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located in its file.

    ``path`` is the dotted YAML path (``production.us_shell_lines.slip``); ``line`` is 1-based,
    or None when the problem is not tied to a line (a missing file, a command-line ``--set``).
    ``column`` (1-based) locates it within the line of a data file (``x.csv:LINE:COLUMN``).
    """

    file: str
    line: int | None
    path: str
    message: str
    hint: str = ""
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        field = f" {self.path}:" if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class ScenarioError(Exception):
    """A scenario (file, override or argument) is wrong. Holds every problem found at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioWarning(UserWarning):
    """Something in a scenario that is allowed but probably not meant (a milestone after `end`)."""
