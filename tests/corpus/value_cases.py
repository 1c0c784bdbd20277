"""Corpus cases: cells as officers write them (see make.py)."""

from registry import case  # noqa: F401
