"""Cells of CSV files people open in a spreadsheet: a cell that starts like a formula would run as
one there (OWASP's CSV injection), so it gets a leading single quote, which spreadsheets show as
text; `restore` takes it off again when such a file comes back (an import)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell no spreadsheet runs: a quote before one that starts like a formula — or before
    quotes that do, so that `restore` undoes exactly this."""
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """The text `neutralise` was given (a cell written by hand comes back as it is)."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS) else cell
