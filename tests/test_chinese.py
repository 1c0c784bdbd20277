"""Everything an officer or cadre reads from the command line is Chinese, whatever the locale.

Every command of the group (discovered, so a new command is covered), with --help, a bad
option, a missing argument or option, a bad value, and the error paths of filters, match and
check: the output may hold option names, metavars, file names, codes and format names, but no
run of two or more English words.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from planner import helptext, i18n
from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "examples" / "enterprises.yaml"
BROKEN = Path(__file__).parent / "broken"
LOCALES = ["C", "en_US.UTF-8"]  # what officers' machines are often set to

# Helps translated on other branches of issue 10; strict: an entry fails once its command's
# help is Chinese, so it must then be removed here.
PENDING_HELP: set = set()

# two or more English words in a row (single letters such as "a" may sit between them)
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]+)*[ ,'’-]+[A-Za-z]{2,}")

# What may stay in ASCII, removed before looking for English. Keep it short.
ALLOWED = [
    # PyYAML's own description of a syntax error, after the Chinese lead-in: technical detail that
    # locates the mistake (e.g. "expected <block end>, but found '<block mapping start>'")
    r"YAML 格式错误，请检查这一行及上一行的缩进、冒号、引号和括号（[^）]*）",
    # paths and file names: sectors/textile.yaml, DIR/<统一社会信用代码>/history/, plan.json, FILE.pdf
    r"\S*/\S*",
    r"[\w<>@-]*\.(?:md|pdf|docx|json|yaml|csv|xlsx|receivables\.csv)\b",
    # key paths in sector files: measures[0].answers.pressures[0]
    r"\b[a-z_]+(?:\[\d+\]|\.[a-z_]+)+",
    # option names (--as-of, -h) and metavars or codes in capitals (RECORDS, YYYY-MM-DD, NEW_DIR, PDF)
    r"(?<![\w-])--?[a-z][a-z-]*",
    r"\b[A-Z][A-Z_-]*\b",
    # anything with a digit: credit codes, dates, ranges such as x>=1
    r"\S*\d\S*",
    # the program, its commands, the values of --format (md,pdf,docx; terminal|md|html|pdf) and of
    # export's --by (district, cadre, none) and generate's --engine (local, dask)
    r"\bplanner\b",
    r"\b(?:md|pdf|docx|html|terminal)\b",
    r"\b(?:district|cadre|none)\b",
    r"\b(?:local|dask)\b",
]
_ALLOWED = re.compile("|".join(f"(?:{a})" for a in ALLOWED))


def english_in(text: str, commands=()) -> list[str]:
    """The English runs left in ``text`` once allowed tokens are removed, line by line."""
    found = []
    for line in text.splitlines():
        line = _ALLOWED.sub("¤", line)
        for name in commands:
            line = re.sub(rf"\b{re.escape(name)}\b", "¤", line)
        found += ENGLISH.findall(line)
    return found


def assert_chinese(output: str) -> None:
    assert output.strip(), "nothing was printed"
    assert not english_in(output, main.commands), output


@pytest.fixture(params=LOCALES)
def runner(request):
    return CliRunner(env={"LANG": request.param, "LC_ALL": request.param, "LC_MESSAGES": request.param,
                          "LANGUAGE": ""})


def test_the_check_finds_english():
    assert english_in("Error: No such option: --x") == ["No such option"]
    assert english_in("Usage: planner generate [OPTIONS] RECORDS") == []  # single words are not sentences
    assert english_in("--out DIR  Folder for DIR/<id>/plan.md, plan.pdf.") == ["Folder for"]
    assert english_in("错误：not a readable XLSX workbook (File is not a zip file)") == ["not a readable",
                                                                                     "File is not a zip file"]
    assert english_in("错误：名单.xlsx: no such file") == ["no such file"]
    assert english_in("用法：planner generate [选项] RECORDS", main.commands) == []


# -- every command


def commands():
    return sorted(main.commands.items())


def _placeholders(command: click.Command) -> list[str]:
    """Values for the command's arguments that pass parsing (a real file where one must exist)."""
    return [str(RECORDS) for p in command.params if isinstance(p, click.Argument)]


@pytest.mark.parametrize("name", ["--help", "-h"])
def test_group_help_and_version(runner, name):
    result = runner.invoke(main, [name])
    assert result.exit_code == 0
    assert result.output.startswith("用法：planner [选项] 命令 [参数]...\n")
    assert "命令：\n" in result.output and "选项：\n" in result.output
    pending = [line for line in result.output.splitlines() if line.split()[:1] in ([n] for n in PENDING_HELP)]
    assert len(pending) == len(PENDING_HELP)
    assert all(english_in(line, main.commands) for line in pending), "remove the translated ones from PENDING_HELP"
    assert_chinese("\n".join(line for line in result.output.splitlines() if line not in pending))
    version = runner.invoke(main, ["--version"])
    assert version.output.startswith("planner 版本 ")


@pytest.mark.parametrize("name,command", commands(), ids=[n for n, _ in commands()])
def test_help(runner, name, command):
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"用法：planner {name} [选项]")
    assert "  -h, --help" in result.output and "显示本帮助并退出。" in result.output
    for line in result.output.splitlines():  # laid out for an 80-column terminal
        assert helptext.width(line) <= 80, line
    if name in PENDING_HELP:
        if english_in(result.output, main.commands):
            pytest.xfail(f"the help of planner {name} is translated on another branch")
        pytest.fail(f"planner {name} --help is Chinese now: remove it from PENDING_HELP")
    assert_chinese(result.output)
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", result.output), "a line break became a space"


@pytest.mark.parametrize("name,command", commands(), ids=[n for n, _ in commands()])
def test_usage_errors(runner, name, command):
    args = _placeholders(command)
    options = [o for o in command.params if isinstance(o, click.Option) and o.name != "help"]
    attempts = [
        [name, *args, "--no-such-option"],
        [name, *args, "extra-1", "extra-2"],
    ]
    long_names = [n for o in options for n in o.opts if n.startswith("--") and len(n) > 5]
    if long_names:  # a typo, so click suggests the option
        attempts.append([name, *args, long_names[0][:-1]])
    if args:
        attempts.append([name])  # missing argument
    for option in options:
        required_others = [x for o in options if o.required and o is not option for x in (o.opts[0], "x")]
        if option.required:
            attempts.append([name, *args, *required_others])  # missing option
        if isinstance(option.type, click.Choice):
            attempts.append([name, *args, *required_others, option.opts[0], "nonsense"])
        if isinstance(option.type, click.IntRange):
            attempts += [[name, *args, *required_others, option.opts[0], v] for v in ("0", "many")]
        if isinstance(option.type, click.Path) and not option.type.dir_okay:
            attempts.append([name, *args, *required_others, option.opts[0], "."])  # a folder for a file
    for attempt in attempts:
        result = runner.invoke(main, attempt)
        assert result.exit_code == 2, (attempt, result.output)
        assert f"运行“planner {name} --help”可查看帮助。" in result.output, result.output
        assert "\n错误：" in result.output, result.output
        assert_chinese(result.output)


def test_exact_click_messages(runner):
    def error(*args):
        return runner.invoke(main, list(args)).output.splitlines()[-1]

    assert error("generate", str(RECORDS), "--x") == "错误：没有 --x 这个选项。"
    assert error("generate", str(RECORDS), "--as-o", "x") == "错误：没有 --as-o 这个选项。 是否想输入 '--as-of'？"
    assert error("generate") == "错误：缺少参数 'RECORDS'。"
    assert error("briefs", str(RECORDS)) == "错误：缺少选项 '--combined'。"  # click joins it in code: '. → '。
    assert error("generate", str(RECORDS), "--workers", "0") == "错误：'--workers' 的值无效：0 超出允许范围（至少为1）。"
    assert error("generate", str(RECORDS), "--workers", "a") == "错误：'--workers' 的值无效：“a”不是有效的数值。"
    assert error("generate", str(RECORDS), "--format", "doc") == ("错误：'--format' 的值无效：请写 md、pdf、docx 中的一项或几项，以逗号分隔，"
                                                                     "如 md,pdf 或 md,pdf,docx（现为“doc”）")
    assert error("summary", "nowhere", "--out", "x.md") == "错误：nowhere：文件或文件夹不存在"
    assert error("briefs", str(RECORDS), "--combined", ".") == "错误：'--combined' 的值无效：“.”是一个目录，这里需要文件。"
    assert error("match", str(RECORDS), "y") == "错误：多出了参数（y），请检查命令。"
    assert error("generat") == "错误：没有 generat 这个命令。 是否想输入 'generate'？"
    result = runner.invoke(main, ["briefs", "--help"])
    assert "  --combined FILE.pdf   要写入的 PDF 文件，每页一份简报。 [必填]\n" in result.output
    assert "[默认：md,pdf]" in runner.invoke(main, ["generate", "--help"]).output


def test_real_command_in_c_locale(tmp_path):
    """The installed entry point, not only the test runner, and a locale that asks for French."""
    env = {**os.environ, "LANG": "C", "LC_ALL": "C", "LANGUAGE": "fr"}
    for command in ([str(Path(sys.executable).with_name("planner"))], [sys.executable, "-m", "planner"]):
        result = subprocess.run([*command, "check", "--nonsense"], capture_output=True, text=True, env=env,
                                cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == "用法：planner check [选项]\n运行“planner check --help”可查看帮助。\n\n错误：没有 --nonsense 这个选项。\n"
        version = subprocess.run([*command, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert re.fullmatch(r"planner 版本 \d+\.\d+\.\d+\n", version.stdout)


# -- the error paths of filters, match and check


@pytest.mark.parametrize("args,message", [
    (["--district", "火星区"], "错误：没有“火星区”这个区县（可选：海曙区、江北区、北仑区、镇海区、鄞州区、奉化区、象山县、宁海县、"
                               "余姚市、慈溪市）"),
    (["--zone", "火星区"], "错误：没有“火星区”这个功能区（可选：高新区、东钱湖、保税区、大榭、前湾新区、梅山）"),
    (["--district", "江北区", "--cadre", "郑晓岚"],
     "错误：没有符合筛选条件（区县“江北区”、包联干部“郑晓岚”）的企业，未写入任何文件"),
])
def test_filter_errors(runner, tmp_path, args, message):
    target = tmp_path / "briefs.pdf"
    result = runner.invoke(main, ["briefs", str(RECORDS), "--combined", str(target), "--as-of", "2022-06-15", *args])
    assert result.exit_code == 1
    assert result.output.splitlines() == [message]
    assert not target.exists()
    assert_chinese(result.output)


def test_unknown_cadre_lists_the_cadres_of_the_list(runner, tmp_path):
    result = runner.invoke(main, ["briefs", str(RECORDS), "--combined", str(tmp_path / "b.pdf"),
                                  "--as-of", "2022-06-15", "--cadre", "张三"])
    assert result.exit_code == 1
    assert result.output.startswith("错误：名单中没有包联干部“张三”（名单中的包联干部：陈立峰（镇海区经信局）、"
                                    "吴晓东（江北区经信局）、")
    assert result.output.count("郑晓岚") == 1  # each cadre once, though 郑晓岚 has two enterprises
    assert_chinese(result.output)


def test_match_unknown_id(runner):
    result = runner.invoke(main, ["match", str(RECORDS), "--as-of", "2022-06-15", "--id", "91330206NB0000059X"])
    assert result.exit_code == 1
    assert result.output == (f"错误：{os.path.relpath(RECORDS)} 中没有统一社会信用代码为 91330206NB0000059X 的企业"
                             "（名单中共20家企业通过校验）\n")
    assert_chinese(result.output)


@pytest.mark.parametrize("case", sorted(p.name for p in BROKEN.iterdir() if p.is_dir() and p.name != "valid"))
def test_check_messages(runner, sectors_copy, case):
    for path in (BROKEN / case).glob("*.yaml"):
        shutil.copy(path, sectors_copy / path.name)
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert_chinese(result.output)


# -- the README


def test_readme_examples_call_what_make_demo_installs():
    """After `make demo`, a bare `planner` is not on PATH: every example line calls .venv/bin/planner
    (or make, cp, export …), and the Commands section says how to put .venv/bin on PATH."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for block in re.findall(r"```sh\n(.*?)```", readme, re.S) for line in block.splitlines()]
    commands = [line.split()[0] for line in lines if line and not line.startswith("#")]
    assert ".venv/bin/planner" in commands
    assert set(commands) <= {".venv/bin/planner", ".venv/bin/python", "make", "cp", "export"}, commands
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in lines


# -- the catalog


def click_calls() -> list:
    """Every (message, plural or None) the installed click passes to gettext, read from its source."""
    found = []
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                texts = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if texts:
                    found.append((texts[0], texts[1] if node.func.id == "ngettext" else None))
    return found + [("required", None)]  # passed to _() through a variable (core.py: [required])


def test_catalog_has_every_click_message():
    catalog = i18n.catalog()
    calls = click_calls()
    missing = sorted({m for m, plural in calls if m not in (catalog.plurals if plural else catalog.singulars)})
    assert len(calls) > 60
    assert not missing, f"add these to {i18n.CATALOG.relative_to(ROOT)}: {missing}"


def test_every_translation_formats_with_what_click_passes():
    """A translation may drop a placeholder but never invent one, or str.format would fail."""
    catalog = i18n.catalog()
    field = re.compile(r"(?<!\{)\{(\w+)(?:![rsa])?\}")
    for msgid, plural in click_calls():
        given = {name: "x" for text in (msgid, plural or "") for name in field.findall(text)}
        if plural:
            for n in (1, 2, 5):
                catalog.ngettext(msgid, plural, n).format(**given)
        elif msgid.startswith("%("):
            assert catalog.gettext(msgid) % {"prog": "planner", "version": "1.0"} == "planner 版本 1.0"
        else:
            catalog.gettext(msgid).format(**given)
    assert catalog.ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 3) == \
        "是否想输入 {possibilities}？"


def test_click_is_rebound_in_every_module():
    for module in i18n.click_modules():
        if hasattr(module, "_"):
            assert module._ == i18n.catalog().gettext, module.__name__
        if hasattr(module, "ngettext"):
            assert module.ngettext == i18n.catalog().ngettext, module.__name__
    assert gettext.gettext("Usage:") == "Usage:"  # the process-wide gettext is left alone


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_catalog_reads_as_msgfmt_compiles_it(tmp_path):
    mo = tmp_path / "click.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(i18n.CATALOG)], check=True, capture_output=True)
    with mo.open("rb") as f:
        compiled = {k: v for k, v in gettext.GNUTranslations(f)._catalog.items() if k}
    catalog = i18n.catalog()
    ours = {**catalog.singulars, **{(k, i): v for k, forms in catalog.plurals.items() for i, v in enumerate(forms)}}
    assert ours == compiled


def test_po_reader(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr "Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
                  '#, fuzzy\nmsgid "Draft"\nmsgstr "草稿"\n\n'
                  'msgid "Untranslated"\nmsgstr ""\n\n'
                  'msgid "Two"\n"\\tlines"\nmsgstr "两"\n"行"\n\n'
                  'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "若干"\n', encoding="utf-8")
    catalog = i18n.Catalog(po)
    assert catalog.singulars == {"Two\tlines": "两行"}
    assert catalog.ngettext("one", "many", 5) == "若干"
    assert catalog.gettext("Draft") == "Draft"  # fuzzy entries are not used
    po.write_text('msgid "x"\nmsgstr nonsense\n', encoding="utf-8")
    with pytest.raises(i18n.PoError, match=r"x\.po:2: expected a quoted string"):
        i18n.Catalog(po)


# -- the layout


def test_wrapping_by_display_width():
    text = "每家企业写入 DIR/<统一社会信用代码>/：一企一策帮扶方案 plan.pdf、plan.md、plan.json，走访简报 brief.pdf。"
    lines = helptext.wrap(text, 40, "  ", "  ")
    assert lines == ["  每家企业写入 DIR/<统一社会信用代码>/：",  # 40 columns: the full-width colon stays
                     "  一企一策帮扶方案 plan.pdf、plan.md、",
                     "  plan.json，走访简报 brief.pdf。"]
    assert all(helptext.width(line) <= 40 for line in lines)
    assert helptext.join_lines(["出处", "引文见 planner", "check，再运行", "planner generate"]) == \
        "出处引文见 planner check，再运行 planner generate"


def test_wrapping_keeps_punctuation_and_unwrapped_blocks():
    assert helptext.wrap("甲乙丙，丁", 6) == ["甲乙", "丙，丁"]  # a line never starts with ，
    assert helptext.wrap("md,pdf 另外生成 PDF。 [默认：md,pdf]", 24) == ["md,pdf 另外生成 PDF。", "[默认：md,pdf]"]
    assert helptext.wrap_paragraphs("第一段\n续行\n\n\b\n  x   y\n  z", 40, "  ") == [
        "  第一段续行", "", "    x   y", "    z"]


def test_commands_imported_before_the_cli_are_chinese_too():
    code = ("import click; from planner.commands.briefs import briefs; "
            "print(sorted({p.type.name for p in briefs.params if isinstance(p.type, click.Path)}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "['文件', '目录', '路径']\n"
