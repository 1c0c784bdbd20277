"""The one YAML entry point: safe loading that remembers the line of every key and item."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple  # ("measures", 3, "period", "end")


def format_path(path: KeyPath) -> str:
    """Render a key path the way a reader writes it: ``measures[3].period.end``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "（整个文件）"


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Problem:
    """One problem in one file, at one line and key path."""

    file: str
    line: int
    path: KeyPath
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {format_path(self.path)}: {self.message}"


@dataclass
class Document:
    """A loaded YAML file: plain data plus the line of every key path."""

    file: str
    data: Any
    lines: dict = field(default_factory=dict)

    def line(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest recorded ancestor."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: KeyPath, message: str) -> Problem:
        return Problem(self.file, self.line(path), tuple(path), message)


class _Loader(yaml.SafeLoader):
    """A private SafeLoader, so nothing we register leaks into PyYAML's global loaders."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The same on libyaml when present: 5x faster on a long enterprise list."""


class YamlSyntaxError(Exception):
    """A file is not valid YAML; carries the problem."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def load_document(path: Path, shown: str | None = None, fast: bool = False) -> tuple[Document, list[Problem]]:
    """Load one YAML file; duplicate keys are problems. Raises YamlSyntaxError on bad syntax.

    ``fast`` uses libyaml (for long record lists); the sector tree keeps the pure-Python parser,
    whose messages do not depend on how PyYAML was built.
    """
    shown = shown or display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem(shown, 1, (), "不是 UTF-8 编码的文本，请另存为 UTF-8")) from None
    loader = (_FastLoader if fast else _Loader)(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(Problem(shown, line, (), f"YAML 格式错误，请检查这一行及上一行的缩进、冒号、引号和括号（{exc.problem}）")) from None
    if node is None:
        raise YamlSyntaxError(Problem(shown, 1, (), "文件是空的"))
    doc = Document(shown, None)
    problems: list[Problem] = []
    try:
        doc.data = _build(node, (), doc, loader, problems)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(Problem(shown, mark.line + 1 if mark else 1, (), f"YAML 无法读取（{exc.problem}）")) from None
    finally:
        loader.dispose()
    return doc, problems


def _build(node, path, doc: Document, loader, problems) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key)
            sub = path + (key,)
            if key in out:
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, sub, f"键“{key}”重复"))
                continue
            doc.lines[sub] = key_node.start_mark.line + 1
            out[key] = _build(value_node, sub, doc, loader, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, loader, problems) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
