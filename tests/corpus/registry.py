"""The registry of corpus cases (see make.py)."""

from __future__ import annotations

from typing import Callable

CASES: dict[str, Callable] = {}


def case(name: str):
    """Register ``build(folder) -> [paths]`` as the corpus case ``name``."""
    def register(build):
        if name in CASES:
            raise ValueError(f"corpus case {name} registered twice")
        CASES[name] = build
        return build
    return register
