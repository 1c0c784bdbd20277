"""The command line: a click group whose commands each parse options and call one library function.

Everything it prints is Chinese: click's own messages through the catalog of `planner.i18n`
(installed before any command is defined, since click translates some texts at definition
time), the help texts in each command's module.
"""

from __future__ import annotations

import click

from planner import helptext, i18n

i18n.install()

from planner import __version__  # noqa: E402  (after install: see above)
from planner.commands import COMMANDS  # noqa: E402

OPTIONS_METAVAR = "[选项]"  # click's "[OPTIONS]" in a usage line; not a gettext message in click

@click.group("planner", context_settings={"help_option_names": ["-h", "--help"]}, options_metavar=OPTIONS_METAVAR,
             subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, prog_name="planner")
def main() -> None:
    """一企一策：按宁波市2022年“稳企业强主体”“畅循环稳工业”行动，为企业名单生成帮扶方案和走访简报。

    先用 planner check 检查措施库，再用 planner generate 生成方案和简报；各命令的用法见
    planner 命令 -h。
    """


main.context_class = helptext.Context
for _command in COMMANDS:
    _command.options_metavar = OPTIONS_METAVAR
    _command.context_class = helptext.Context
    main.add_command(_command)
