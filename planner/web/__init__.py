"""The web workplace (``planner serve``): officers, cadres, reviewers and departments each see their
part of the output folder and the request ledger, through a login (issue 16)."""

from planner.web.app import create_app

__all__ = ["create_app"]
