"""Text that is safe to print on a terminal.

Names and values in reports come from places anyone may write to (a live object's labels, a
znode, a topic config), and a terminal obeys what it is sent: an escape sequence could retitle
the window, move the cursor over earlier lines or hide a finding. Every text report passes
through `printable` before it is printed.
"""
from __future__ import annotations

import re

TERMINAL_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(\x07|\x1b\\)?|[PX^_][^\x1b]*(\x1b\\)?|.?)"
                               r"|\x9b[0-?]*[ -/]*[@-~]?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: str) -> str:
    """value without terminal control sequences (colours, cursor moves, titles); other controls
    (a carriage return that would overwrite the line, a bell) shown escaped; tabs and newlines kept."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", TERMINAL_SEQUENCE.sub("", value))
