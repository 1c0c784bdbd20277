"""Corpus cases: old and odd files (see make.py)."""

from registry import case  # noqa: F401
