"""PowerShell syntax trees (tree-sitter-pwsh) and the few queries the worker tests need."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter
import tree_sitter_pwsh

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language()))

Node = tree_sitter.Node


@dataclass(frozen=True)
class SyntaxProblem:
    """An ERROR or MISSING node, 1-based line and column."""

    line: int
    column: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.kind} near {self.text!r}"


def parse(source: str | bytes) -> Node:
    """Root node of the syntax tree of a PowerShell source."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    return _PARSER.parse(data).root_node


def walk(node: Node) -> Iterator[Node]:
    """The node and all its descendants, in source order."""
    yield node
    for child in node.children:
        yield from walk(child)


def syntax_problems(root: Node) -> list[SyntaxProblem]:
    """Every node the parser had to invent (MISSING) or could not place (ERROR)."""
    problems = []
    for node in walk(root):
        if node.type == "ERROR" or node.is_missing:
            kind = "MISSING " + node.type if node.is_missing else "ERROR"
            problems.append(SyntaxProblem(node.start_point[0] + 1, node.start_point[1] + 1, kind, text(node)[:40]))
    return problems


def text(node: Node) -> str:
    """The source text of a node."""
    return node.text.decode("utf-8") if node.text is not None else ""


def string_value(node: Node) -> str | None:
    """The value of a string literal (or an expression that is only one), else None."""
    while node.type != "string_literal" and len(node.named_children) == 1:
        node = node.named_children[0]
    if node.type != "string_literal":
        return None
    raw = text(node)
    if raw[:1] in "'\"" and raw[-1:] == raw[:1]:
        return raw[1:-1]
    return raw


def string_list(node: Node) -> list[str] | None:
    """The values of a literal list of strings ('a', 'b' or @('a', 'b')), else None."""
    single = string_value(node)
    if single is not None:
        return [single]
    arrays = [n for n in walk(node) if n.type == "array_literal_expression"]
    if not arrays:
        return None
    items = [string_value(item) for item in arrays[0].named_children]
    return None if None in items else items  # type: ignore[return-value]


def variables_assigned(root: Node) -> dict[str, Node]:
    """Top-level `$Name = value` statements: name (without $) -> assigned value node."""
    assigned = {}
    for node in walk(root):
        if node.type != "assignment_expression":
            continue
        left = node.child_by_field_name("left") or node.named_children[0]
        value = next(c for c in node.named_children if c.type == "assignment_value")
        name = text(left).lstrip("$")
        if _is_top_level(node):
            assigned[name] = value
    return assigned


def _is_top_level(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("function_statement", "script_block_expression"):
            return False
        parent = parent.parent
    return True


def hash_entries(node: Node) -> dict[str, Node]:
    """Entries of the first hash literal at or under node: key -> value node."""
    literal = next(n for n in walk(node) if n.type == "hash_literal_expression")
    body = next((c for c in literal.named_children if c.type == "hash_literal_body"), None)
    entries = {}
    for entry in body.named_children if body is not None else []:
        if entry.type == "hash_entry":
            key = next(c for c in entry.named_children if c.type == "key_expression")
            entries[string_value(key) or text(key)] = entry.named_children[-1]
    return entries


def functions(root: Node) -> dict[str, Node]:
    """Function definitions: name -> function_statement node."""
    found = {}
    for node in walk(root):
        if node.type == "function_statement":
            name = next(c for c in node.named_children if c.type == "function_name")
            found[text(name)] = node
    return found


def commands(node: Node, name: str | None = None) -> list[Node]:
    """Command invocations at or under node, optionally only those of one command name (case-insensitive)."""
    found = []
    for candidate in walk(node):
        if candidate.type == "command":
            command_name = next((c for c in candidate.named_children if c.type == "command_name"), None)
            if command_name is not None and (name is None or text(command_name).lower() == name.lower()):
                found.append(candidate)
    return found


def command_name(command: Node) -> str:
    """The name of a command node."""
    return text(next(c for c in command.named_children if c.type == "command_name"))


def command_arguments(command: Node) -> dict[str, Node]:
    """Named arguments of a command: '-Parameter' (lower-case) -> the argument node that follows it."""
    elements = next((c for c in command.named_children if c.type == "command_elements"), None)
    if elements is None:
        return {}
    items = [c for c in elements.named_children if c.type != "command_argument_sep"]
    arguments = {}
    for index, item in enumerate(items):
        if item.type == "command_parameter" and index + 1 < len(items):
            arguments[text(item).lower()] = items[index + 1]
    return arguments


def member_accesses(node: Node, variable: str) -> set[str]:
    """Member names read from `$variable.<member>` at or under node."""
    names = set()
    for candidate in walk(node):
        if candidate.type == "member_access":
            owner = candidate.named_children[0]
            if owner.type == "variable" and text(owner).lower() == "$" + variable.lower():
                names.add(text(candidate.named_children[-1]))
    return names


def variable_references(node: Node) -> set[str]:
    """Names (without $) of every variable used at or under node."""
    return {text(n).lstrip("$") for n in walk(node) if n.type == "variable"}


def code_words(root: Node) -> set[str]:
    """Every token of the code (comments excluded), full type names, and the words inside strings."""
    words: set[str] = set()
    for node in walk(root):
        if (node.child_count == 0 and node.type != "comment") or node.type == "type_name":
            words.add(text(node))
        if node.type == "string_literal":
            words.update(_words(text(node)))
    return words


def _words(value: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", value))
