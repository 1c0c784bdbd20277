"""The one YAML entry point: safe loading that remembers the line of every key and item."""

from __future__ import annotations

import os
import re
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


# Aliases may at most double a file (and add at most this many nodes to a small one): a
# "billion laughs" file of a few hundred bytes would otherwise expand to billions of nodes.
ALIAS_NODES_FLOOR = 10_000
_ALIAS = re.compile(r"(?:^|[\s\[{,:?-])\*[^\s,\[\]{}]", re.M)  # what could be an alias (*name) in YAML text


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
        if "*" in text and _ALIAS.search(text):  # no alias, nothing to expand: the common case
            _check_aliases(node, shown)
        doc.data = _build(node, (), doc, loader, problems)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(Problem(shown, mark.line + 1 if mark else 1, (), f"YAML 无法读取（{exc.problem}）")) from None
    except RecursionError:
        raise YamlSyntaxError(Problem(shown, 1, (), "YAML 嵌套层数过多，疑似恶意文件，已拒绝读取")) from None
    finally:
        loader.dispose()
    return doc, problems


def _check_aliases(root, shown: str) -> None:
    """Refuse a node graph that refers to itself, or whose aliases would add more nodes than
    the file has of its own (at least ALIAS_NODES_FLOOR); one pass over the distinct nodes.

    The composer hands an alias back as the very node object of its anchor, so a node met a
    second time is an alias, and what it adds is the (memoised) size of that subtree.
    """
    sizes: dict[int, int] = {}  # id(node) -> expanded node count; -1 while being counted
    added = 0  # nodes the aliases met so far add

    def size(node, line: int) -> int:
        nonlocal added
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise YamlSyntaxError(Problem(shown, line, (), "YAML 别名引用了它自身所在的结构（循环引用），已拒绝读取"))
            added += known
            limit = max(ALIAS_NODES_FLOOR, len(sizes))
            if added > limit:
                raise YamlSyntaxError(Problem(shown, line, (), f"YAML 别名展开过多（超过 {limit} 个节点），"
                                                               f"疑似恶意文件，已拒绝读取"))
            return known
        sizes[id(node)] = -1
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = key_node.start_mark.line + 1
                total += size(key_node, here) + size(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            here = node.start_mark.line + 1
            for item in node.value:
                total += size(item, here)
        sizes[id(node)] = total
        return total

    size(root, root.start_mark.line + 1)


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
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # a date the calendar lacks (2022-02-30): left as text, for the schema to name
        if isinstance(node, yaml.ScalarNode):
            return node.value
        raise
