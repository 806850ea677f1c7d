"""Text that goes into a spreadsheet or a CSV file must stay text.

Excel, LibreOffice and Google Sheets read a cell that starts with = + - @ (or a tab or
carriage return before one of them) as a formula: a resident's words such as
=HYPERLINK("http://...") in an unanswered question or a ticket's content would run on
the clerk's computer (CSV / formula injection). Such text gets a leading apostrophe in
CSV (what the spreadsheet programs themselves show for "text, not a formula") and is
written as a string cell with the quote prefix set in .xlsx.
"""

from __future__ import annotations

from typing import Final, TypeVar

# The ASCII triggers, the control characters that may precede them, and their full-width
# forms (which some spreadsheet programs fold to ASCII on input).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

T = TypeVar("T")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: T) -> T | str:
    """The value for a CSV cell: text that a spreadsheet would run is prefixed with '."""
    if looks_like_formula(value):
        return f"'{value}"
    return value
