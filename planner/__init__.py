"""planner: sector-specific enterprise support plans (一企一策) for Ningbo's 2022 campaigns."""

import os as _os

# openpyxl switches to lxml when it is installed (python-docx brings it), and then reads and
# writes workbooks differently (a carriage return in a cell, the bytes of a saved file). One
# backend, whatever else is installed: the standard library's, which the lists and tests were
# measured with. Set before anything imports openpyxl.
_os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.1.0"
