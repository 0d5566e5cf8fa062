"""WMI as the engine reaches it: class schemas with typed properties, WQL queries and method calls.

The engine (plugins/module_utils/KmsClientEngine.cs) asks for a class's declared properties, runs WQL ``SELECT``
queries and invokes methods by instance path; :class:`CimProvider` answers those three calls from the instances and
method handlers a simulated host gives it. Behaviour and its sources:

- Types: each property has the CIM type of Microsoft's class page (``SoftwareLicensingService``,
  ``SoftwareLicensingProduct``, ``Win32_OperatingSystem``: uint32 counters and ports, boolean LicenseIsAddon, string
  text); values travel typed and the engine host turns them into the .NET types System.Management gives
  (https://learn.microsoft.com/windows/win32/wmisdk/numbers: uint32 is UInt32). A property the class lacks on a release
  (``facts.missing_properties``) is not declared at all, unlike a declared property whose value is null.
- WQL (https://learn.microsoft.com/windows/win32/wmisdk/wql-sql-for-wmi): ``SELECT * | p1, p2 FROM Class
  [WHERE ...]`` with ``=``, ``<>``, ``!=``, ``IS [NOT] NULL``, ``AND``, ``OR``, ``NOT`` and parentheses; string
  comparisons ignore case ("WQL ... string comparisons are not case sensitive"), as do class and property names.
  An unknown class fails with WBEM_E_INVALID_CLASS (0x80041010); a property the class does not declare, in the
  select list or the condition, and a malformed query fail with WBEM_E_INVALID_QUERY (0x80041017) ("WMI Error
  Constants").
- Paths: an instance's ``__RELPATH`` (``Class.Key="value"``) is made of its key properties, so a query returns it
  only when the select list holds the class's key properties or is ``*``; a query naming other properties returns
  partial instances without a usable path (https://learn.microsoft.com/windows/win32/wmisdk/describing-an-instance-object-path).
  How much of a partial instance's system properties WMI fills in is not documented further: no path at all is the
  harder answer for the engine, which must select the key before it calls a method.
- Methods: by instance path, or by class name for static methods (StdRegProv). An unknown method fails with
  WBEM_E_INVALID_METHOD (0x8004102E); an unknown instance with WBEM_E_NOT_FOUND (0x80041002). A method's failure is
  its HRESULT, with no text for the licensing service's own codes (see host.py).
"""

from __future__ import annotations

import dataclasses
import re
import typing as t
from collections.abc import Callable, Mapping, Sequence

from winsim.engine import CimError

WBEM_E_NOT_FOUND = 0x80041002
WBEM_E_INVALID_CLASS = 0x80041010
WBEM_E_INVALID_QUERY = 0x80041017
WBEM_E_INVALID_METHOD = 0x8004102E

Typed = tuple[str, t.Any]
Instance = dict[str, t.Any]  # declared property -> value (None for null)
Method = Callable[[Mapping[str, t.Any]], dict[str, Typed]]


@dataclasses.dataclass(frozen=True)
class CimClass:
    """A WMI class as a release declares it: its key properties and each property's CIM type."""

    name: str
    keys: tuple[str, ...]
    properties: Mapping[str, str]

    def canonical(self, name: str) -> str | None:
        """The declared spelling of a property name (WMI names ignore case), or None."""
        lowered = name.lower()
        return next((declared for declared in self.properties if declared.lower() == lowered), None)

    def path(self, instance: Mapping[str, t.Any]) -> str:
        """The instance's __RELPATH, ``Class.Key="value"`` (keys joined by commas)."""
        keys = ",".join(f'{key}="{instance[key]}"' for key in self.keys)
        return f"{self.name}.{keys}"


# ---------------------------------------------------------------------------------------------- WQL


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<number>-?\d+)|(?P<op><>|!=|=|\(|\)|,|\*)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        kind = t.cast(str, match.lastgroup)
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


@dataclasses.dataclass(frozen=True)
class Query:
    """A parsed ``SELECT``: the class, the selected properties (None for ``*``) and the condition."""

    class_name: str
    columns: tuple[str, ...] | None
    condition: Callable[[Mapping[str, t.Any]], bool]


class _Parser:
    def __init__(self, text: str, schema: Callable[[str], CimClass]) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.schema = schema
        self.cim_class: CimClass | None = None

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() == word:
            self.position += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")

    def parse(self) -> Query:
        self.expect("SELECT")
        names: list[str] | None = []
        if self.peek() == ("op", "*"):
            self.take()
            names = None
        else:
            while True:
                kind, name = self.take()
                if kind != "word":
                    raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
                t.cast(list[str], names).append(name)
                if self.peek() != ("op", ","):
                    break
                self.take()
        self.expect("FROM")
        kind, class_name = self.take()
        if kind != "word":
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        self.cim_class = self.schema(class_name)
        columns = None if names is None else tuple(self.property(name) for name in names)
        condition = self.disjunction() if self.keyword("WHERE") else _everything
        if self.peek() is not None:
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        return Query(self.cim_class.name, columns, condition)

    def property(self, name: str) -> str:
        declared = t.cast(CimClass, self.cim_class).canonical(name)
        if declared is None:
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        return declared

    def disjunction(self) -> Callable[[Mapping[str, t.Any]], bool]:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return lambda instance: any(part(instance) for part in parts)

    def conjunction(self) -> Callable[[Mapping[str, t.Any]], bool]:
        parts = [self.negation()]
        while self.keyword("AND"):
            parts.append(self.negation())
        return lambda instance: all(part(instance) for part in parts)

    def negation(self) -> Callable[[Mapping[str, t.Any]], bool]:
        if self.keyword("NOT"):
            inner = self.negation()
            return lambda instance: not inner(instance)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[Mapping[str, t.Any]], bool]:
        kind, name = self.take()
        if kind != "word":
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        declared = self.property(name)
        if self.keyword("IS"):
            negated = self.keyword("NOT")
            self.expect("NULL")
            return lambda instance: (instance.get(declared) is None) != negated
        operator = self.take()
        if operator not in (("op", "="), ("op", "<>"), ("op", "!=")):
            raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")
        literal = self.literal()
        equal = operator == ("op", "=")
        return lambda instance: _equals(instance.get(declared), literal) == equal

    def literal(self) -> t.Any:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return int(text)
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        if kind == "word" and text.upper() == "NULL":
            return None
        raise CimError(WBEM_E_INVALID_QUERY, "Invalid query")


def _everything(_instance: Mapping[str, t.Any]) -> bool:
    return True


def _equals(value: t.Any, literal: t.Any) -> bool:
    """WQL equality: strings without regard to case; a null property equals nothing."""
    if value is None or literal is None:
        return False
    if isinstance(value, str) and isinstance(literal, str):
        return value.casefold() == literal.casefold()
    if isinstance(value, bool) or isinstance(literal, bool):
        return value is literal
    return bool(value == literal)


def parse_query(text: str, schema: Callable[[str], CimClass]) -> Query:
    """Parse a WQL SELECT against ``schema`` (class name -> CimClass, CimError for an unknown class)."""
    return _Parser(text, schema).parse()


# ---------------------------------------------------------------------------------------------- provider


class CimProvider:
    """Answers the engine's three CIM calls from a host's classes, instances and methods.

    ``classes``: the classes the host declares; ``instances(name)``: the current instances of a class (the
    declared properties only); ``methods``: (class, method) -> handler of the call's arguments, returning the out
    parameters; handlers of instance methods also receive ``__instance`` (the instance the path names).
    """

    def __init__(
        self,
        classes: Callable[[], Sequence[CimClass]],
        instances: Callable[[str], list[Instance]],
        methods: Mapping[tuple[str, str], Method],
    ) -> None:
        self._classes = classes
        self._instances = instances
        self._methods = {(cls.lower(), method.lower()): handler for (cls, method), handler in methods.items()}
        self._queries: dict[str, Query] = {}  # parsed WQL by text (a host's classes never change)

    def schema(self, class_name: str) -> CimClass:
        """The class as declared; CimError WBEM_E_INVALID_CLASS when the host has none of that name."""
        for cim_class in self._classes():
            if cim_class.name.lower() == class_name.lower():
                return cim_class
        raise CimError(WBEM_E_INVALID_CLASS, "Invalid class")

    def class_properties(self, class_name: str) -> list[str]:
        """ManagementClass.Properties: the declared property names."""
        return list(self.schema(class_name).properties)

    def query(self, wql: str) -> list[tuple[str | None, dict[str, Typed]]]:
        """ManagementObjectSearcher.Get: the matching instances, typed, with their path when the keys are selected."""
        parsed = self._queries.get(wql)
        if parsed is None:
            parsed = self._queries[wql] = parse_query(wql, self.schema)
        cim_class = self.schema(parsed.class_name)
        columns = parsed.columns if parsed.columns is not None else tuple(cim_class.properties)
        with_path = parsed.columns is None or all(key in columns for key in cim_class.keys)
        answer = []
        for instance in self._instances(cim_class.name):
            if parsed.condition(instance):
                values = {name: (cim_class.properties[name], instance.get(name)) for name in columns}
                answer.append((cim_class.path(instance) if with_path else None, values))
        return answer

    def invoke(self, path: str, method: str, arguments: Mapping[str, t.Any]) -> dict[str, Typed]:
        """ManagementObject.InvokeMethod on an instance path, or on a class name for a static method."""
        class_name, _dot, keys = path.partition(".")
        cim_class = self.schema(class_name)
        handler = self._methods.get((cim_class.name.lower(), method.lower()))
        if handler is None:
            raise CimError(WBEM_E_INVALID_METHOD, "Invalid method")
        call = dict(arguments)
        if keys:
            target = next((i for i in self._instances(cim_class.name) if cim_class.path(i) == path), None)
            if target is None:
                raise CimError(WBEM_E_NOT_FOUND, "Not found")
            call["__instance"] = target
        return handler(call)
