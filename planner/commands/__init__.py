"""One module per verb; each is a thin click command over a library function."""

from planner import i18n

i18n.install()  # before any command is defined: click translates some texts (Path's name) at definition

from planner.commands.approve import approve, reject
from planner.commands.briefs import briefs
from planner.commands.changes import changes
from planner.commands.check import check
from planner.commands.convert import convert
from planner.commands.diff import diff
from planner.commands.export import export
from planner.commands.generate import generate
from planner.commands.history import history
from planner.commands.impact import impact
from planner.commands.match import match
from planner.commands.requests import requests
from planner.commands.serve import serve
from planner.commands.summary import summary
from planner.commands.users import users

COMMANDS = [check, match, generate, briefs, export, approve, reject, changes, summary, history, diff, impact, convert,
            requests, serve, users]
