"""Errors a user can act on.

Anything caused by a user's file or setting is raised as a :class:`WorkbenchError`; the CLI and
the notebooks show its message without a traceback. Bugs stay ordinary exceptions.
"""

from __future__ import annotations

from pathlib import Path


class WorkbenchError(Exception):
    """A problem the user can fix; the message says what to do."""


class InputError(WorkbenchError):
    """A file does not hold what was expected.

    Parameters
    ----------
    file
        The file at fault.
    problem
        What is wrong, in the user's words.
    row
        The 1-based row number as a spreadsheet shows it (the header is row 1), if known.
    column
        The column's header, if known.
    expected
        What the cell or file should have held.
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file)
        self.problem = problem
        self.row = row
        self.column = column
        self.expected = expected
        where = [Path(self.file).name]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        message = f"{', '.join(where)}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)
