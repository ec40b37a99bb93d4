"""AWS's own API rules, read from the service models that botocore ships.

Where AWS publishes a constraint in its API model (a name pattern, a length, a numeric range,
an enum) berth reads it from there instead of keeping a second, hand-written copy that could
drift. Loading a model takes a few milliseconds and is cached.

`member_rule` reads one top-level member's rule; `check_payload` / `check_value` validate a whole
request payload against an operation's input shape, recursively (tools.preflight uses them).
The models' patterns are Java regular expressions: `python_pattern` translates them for `re`.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape


@dataclass(frozen=True)
class MemberRule:
    """The constraints the model declares for one request member."""

    where: str  # e.g. "ecr CreateRepository.repositoryName"
    type_name: str
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()

    def problems(self, value: object) -> list[str]:
        """What is wrong with `value` under this rule (empty when it passes)."""
        found: list[str] = []
        if self.type_name == "string" and isinstance(value, str):
            if self.min is not None and len(value) < self.min:
                found.append(f"shorter than {self.min} characters")
            if self.max is not None and len(value) > self.max:
                found.append(f"longer than {self.max} characters")
            if self.pattern and matches(self.pattern, value) is False:
                found.append(f"does not match the pattern {self.pattern}")
            if self.enum and value not in self.enum:
                found.append(f"not one of {', '.join(self.enum)}")
        elif self.type_name in ("integer", "long") and isinstance(value, int):
            if self.min is not None and value < self.min:
                found.append(f"below the minimum {self.min}")
            if self.max is not None and value > self.max:
                found.append(f"above the maximum {self.max}")
        return found

    def describe(self) -> str:
        """A short human description of what the rule allows."""
        parts: list[str] = []
        if self.type_name == "string":
            if self.min is not None or self.max is not None:
                parts.append(f"{self.min or 0}-{self.max if self.max is not None else '∞'} characters")
            if self.pattern:
                parts.append(f"matching {self.pattern}")
            if self.enum:
                parts.append("one of " + ", ".join(self.enum))
        elif self.min is not None or self.max is not None:
            parts.append(f"{self.min}-{self.max}")
        return ", ".join(parts) + f" ({self.where})"


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str):
    return _session().get_service_model(service)


def input_shape(service: str, operation: str) -> Shape:
    return service_model(service).operation_model(operation).input_shape


def rule_for_shape(shape: Shape, where: str) -> MemberRule:
    meta = shape.metadata
    return MemberRule(
        where=where,
        type_name=shape.type_name,
        min=meta.get("min"),
        max=meta.get("max"),
        pattern=meta.get("pattern"),
        enum=tuple(getattr(shape, "enum", None) or ()),
    )


@cache
def member_rule(service: str, operation: str, member: str) -> MemberRule:
    """The rule for a top-level request member, e.g. ("ecr", "CreateRepository", "repositoryName")."""
    shape = input_shape(service, operation).members[member]
    return rule_for_shape(shape, f"{service} {operation}.{member}")


# --- The models' patterns are Java regular expressions --------------------------------------------
# Python's `re` reads most of them unchanged, but not all: Java's \w \d \s are ASCII-only where
# Python's are Unicode, Java has \p{…} classes Python lacks, and Java writes characters outside the
# Basic Multilingual Plane as UTF-16 surrogate pairs (\uD800\uDC00-\uDBFF\uDFFF). `python_pattern`
# rewrites those; anything it cannot rewrite is reported (`pattern_note`) and that pattern is not
# checked, rather than guessed at.

_ASCII_SETS = {"w": "A-Za-z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
# POSIX classes: in Java they are US-ASCII only (java.util.regex.Pattern, "POSIX character classes").
_POSIX_SETS = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\\x00-\\x7F", "Alpha": "A-Za-z", "Digit": "0-9",
    "Alnum": "A-Za-z0-9", "Punct": "!-/:-@\\[-`{-~", "Graph": "!-~", "Print": "\\x20-\\x7E",
    "Blank": " \\t", "Cntrl": "\\x00-\\x1F\\x7F", "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0B\\f\\r",
}
# Unicode categories Python's `re` cannot name. Each becomes a Python class that contains it, so a
# value the service accepts is never refused: \w (Unicode) holds every letter and number (plus "_"),
# \s (Unicode) holds every separator (plus a few control characters such as tab).
_UNICODE_SETS = {"L": "\\w", "N": "\\w", "Z": "\\s"}


class _Untranslatable(ValueError):
    pass


def _set_for(name: str) -> str:
    if name in _POSIX_SETS:
        return _POSIX_SETS[name]
    if name in _UNICODE_SETS:
        return _UNICODE_SETS[name]
    raise _Untranslatable(f"\\p{{{name}}} has no Python equivalent")


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a literal ] first in the class
                out.append("\\]")
                i += 1
            continue
        if c == "[" and in_class:
            raise _Untranslatable("nested character classes")
        if c == "]" and in_class:
            in_class = False
            out.append(c)
            i += 1
            continue
        if c == "&" and in_class and pattern.startswith("&&", i):
            raise _Untranslatable("character class intersection (&&)")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise _Untranslatable("trailing backslash")
        e = pattern[i + 1]
        i += 2
        if e in "wds":
            out.append(_ASCII_SETS[e] if in_class else f"[{_ASCII_SETS[e]}]")
        elif e in "WDS":
            if in_class:
                raise _Untranslatable(f"\\{e} inside a character class")
            out.append(f"[^{_ASCII_SETS[e.lower()]}]")
        elif e in "pP":
            if i < n and pattern[i] == "{":
                end = pattern.find("}", i)
                if end < 0:
                    raise _Untranslatable("unterminated \\p{")
                name = pattern[i + 1:end]
                i = end + 1
            else:
                name = pattern[i:i + 1]
                i += 1
            name = name.removeprefix("Is")
            chars = _set_for(name)
            if e == "P":
                if in_class:
                    raise _Untranslatable("\\P{…} inside a character class")
                out.append(f"[^{chars}]")
            else:
                out.append(chars if in_class else f"[{chars}]")
        elif e == "u":
            code = int(pattern[i:i + 4], 16)
            i += 4
            low = pattern[i + 2:i + 6] if pattern.startswith("\\u", i) else ""
            if 0xD800 <= code <= 0xDBFF and len(low) == 4 and 0xDC00 <= int(low, 16) <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                i += 6
            out.append(f"\\U{code:08X}")
        elif e == "x" and i < n and pattern[i] == "{":
            end = pattern.find("}", i)
            out.append(f"\\U{int(pattern[i + 1:end], 16):08X}")
            i = end + 1
        elif e == "Q":
            end = pattern.find("\\E", i)
            end = n if end < 0 else end
            out.append(re.escape(pattern[i:end]))
            i = end + 2
        elif e == "z":
            out.append("\\Z")
        elif e == "Z":
            out.append("(?=\\n?\\Z)")
        else:
            out.append("\\" + e)
    if in_class:
        raise _Untranslatable("unterminated character class")
    return "".join(out)


@cache
def _compiled(pattern: str) -> tuple[re.Pattern[str] | None, str | None]:
    try:
        translated = _translate(pattern)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. FutureWarning "possible nested set"
            return re.compile(translated), None
    except (_Untranslatable, re.error, FutureWarning, ValueError) as exc:
        return None, f"pattern {pattern!r} is not checked: {exc}"


def python_pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's (Java) pattern as a compiled Python pattern, or None if it cannot be translated."""
    return _compiled(pattern)[0]


def pattern_note(pattern: str) -> str | None:
    """Why `pattern` cannot be checked in Python (None when it can)."""
    return _compiled(pattern)[1]


def matches(pattern: str, value: str) -> bool | None:
    """Whether the whole of `value` matches the model's pattern; None if the pattern is untranslatable."""
    rx = python_pattern(pattern)
    return None if rx is None else rx.fullmatch(value) is not None


# --- Whole-payload validation against an operation's input shape ----------------------------------

@dataclass(frozen=True)
class ShapeProblem:
    """One value in a payload that the model refuses."""

    path: str  # inside the payload, e.g. "containerDefinitions[0].logConfiguration.mode"
    value: Any
    message: str  # e.g. "unknown member; did you mean portMappings?"
    rule: str  # e.g. "ecs RegisterTaskDefinition ContainerDefinition"
    show_value: bool = True


@dataclass
class ShapeCheck:
    """What `check_payload` found: problems, how many values it validated and how many it skipped."""

    problems: list[ShapeProblem] = field(default_factory=list)
    fields: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


_EXPECTED = {
    "structure": "an object", "map": "an object", "list": "a list", "string": "a string",
    "integer": "an integer", "long": "an integer", "boolean": "a boolean", "double": "a number",
    "float": "a number", "timestamp": "a timestamp", "blob": "binary data",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def key_path(path: str, key: str) -> str:
    """`path.key`, or `path["key"]` when the key is not an identifier (map keys such as awslogs-group)."""
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def suggest(name: str, options: Any) -> str | None:
    """The valid name closest to `name` (same letters in another case first, then difflib)."""
    options = list(options)
    folded = [o for o in options if o.lower() == name.lower()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


class _Walker:
    def __init__(self, service: str, operation: str, skip: Callable[[Any], bool], coerce: bool) -> None:
        self.service = service
        self.operation = operation
        self.skip = skip
        self.coerce = coerce
        self.result = ShapeCheck()

    def where(self, owner: Shape | None, member: str | None) -> str:
        base = f"{self.service} {self.operation}"
        if owner is None:
            return base if member is None else f"{base}.{member}"
        return f"{base} {owner.name}" if member is None else f"{base} {owner.name}.{member}"

    def problem(self, path: str, value: Any, message: str, rule: str, show_value: bool = True) -> None:
        self.result.problems.append(ShapeProblem(path, value, message, rule, show_value))

    def visit(self, shape: Shape, value: Any, path: str, rule: str, owner_is_input: bool = False,
              partial: bool = False) -> None:
        if value is None:
            return
        if self.skip(value):
            self.result.skipped += 1
            return
        self.result.fields += 1
        kind = shape.type_name
        if shape.metadata.get("document"):
            return  # free-form JSON document: any value
        if kind == "structure":
            if not isinstance(value, dict):
                self.problem(path, value, f"must be an object, not {_kind(value)}", rule)
                return
            owner = None if owner_is_input else shape
            members = shape.members
            for key, item in value.items():
                sub = key_path(path, str(key))
                if key not in members:
                    hint = suggest(str(key), members)
                    if hint:
                        tail = f"; did you mean {hint}?"
                    elif len(members) <= 8:
                        tail = f"; the members of {shape.name} are " + ", ".join(members)
                    else:
                        tail = f"; {shape.name} has no such member"
                    self.problem(sub, item, "unknown member" + tail, self.where(owner, None), show_value=False)
                    continue
                self.visit(members[key], item, sub, self.where(owner, key))
            if not partial:
                for req in shape.metadata.get("required", ()):
                    if value.get(req) is None:
                        self.problem(key_path(path, req), None, "missing; the API requires it",
                                     self.where(owner, None), show_value=False)
            return
        if kind == "list":
            if not isinstance(value, list | tuple):
                self.problem(path, value, f"must be a list, not {_kind(value)}", rule)
                return
            self._length(value, path, shape, rule, "items")
            for i, item in enumerate(value):
                self.visit(shape.member, item, f"{path}[{i}]", rule)
            return
        if kind == "map":
            if not isinstance(value, dict):
                self.problem(path, value, f"must be an object, not {_kind(value)}", rule)
                return
            self._length(value, path, shape, rule, "entries")
            for key, item in value.items():
                sub = key_path(path, str(key))
                self._scalar(shape.key, key, f"{sub} (key)", rule)
                self.visit(shape.value, item, sub, rule)
            return
        self._scalar(shape, value, path, rule)

    def _length(self, value: Any, path: str, shape: Shape, rule: str, unit: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and len(value) < low:
            self.problem(path, value, f"fewer than {low} {unit}", rule)
        if high is not None and len(value) > high:
            self.problem(path, value, f"more than {high} {unit}", rule)

    def _scalar(self, shape: Shape, value: Any, path: str, rule: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "string":
            if self.coerce and isinstance(value, bool):
                value = "true" if value else "false"
            elif self.coerce and isinstance(value, int | float):
                value = str(value)
            if not isinstance(value, str):
                self.problem(path, value, f"must be a string, not {_kind(value)}", rule)
                return
            enum = getattr(shape, "enum", None) or ()
            if enum and value not in enum:
                hint = suggest(value, enum)
                self.problem(path, value, "not one of " + ", ".join(enum) + (f"; did you mean {hint}?" if hint else ""),
                             rule)
            if meta.get("min") is not None and len(value) < meta["min"]:
                self.problem(path, value, f"shorter than {meta['min']} characters", rule)
            if meta.get("max") is not None and len(value) > meta["max"]:
                self.problem(path, value, f"longer than {meta['max']} characters", rule)
            pattern = meta.get("pattern")
            if pattern:
                verdict = matches(pattern, value)
                if verdict is False:
                    self.problem(path, value, f"does not match the pattern {pattern}", rule)
                elif verdict is None:
                    note = pattern_note(pattern)
                    if note and note not in self.result.notes:
                        self.result.notes.append(note)
            return
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.problem(path, value, f"must be an integer, not {_kind(value)}", rule)
                return
        elif kind in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problem(path, value, f"must be a number, not {_kind(value)}", rule)
                return
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.problem(path, value, f"must be a boolean, not {_kind(value)}", rule)
            return
        elif kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                self.problem(path, value, f"must be a timestamp, not {_kind(value)}", rule)
            return
        else:  # blob
            if not isinstance(value, str | bytes):
                self.problem(path, value, f"must be {_EXPECTED.get(kind, kind)}, not {_kind(value)}", rule)
            return
        if meta.get("min") is not None and value < meta["min"]:
            self.problem(path, value, f"below the minimum {meta['min']}", rule)
        if meta.get("max") is not None and value > meta["max"]:
            self.problem(path, value, f"above the maximum {meta['max']}", rule)


def _never(_: Any) -> bool:
    return False


def member_shape(service: str, operation: str, path: str = "") -> Shape:
    """The shape at a dotted member path of an operation's input ("" = the input itself).

    List and map levels are stepped through: "containerDefinitions.portMappings" is PortMapping's
    list, "containerDefinitions" the ContainerDefinitions list.
    """
    shape = input_shape(service, operation)
    for part in filter(None, path.split(".")):
        while shape.type_name == "list":
            shape = shape.member
        shape = shape.members[part]
    return shape


def check_payload(
    service: str,
    operation: str,
    payload: Mapping[str, Any],
    *,
    partial: bool = True,
    skip: Callable[[Any], bool] = _never,
    coerce: bool = False,
) -> ShapeCheck:
    """Validate a request payload (API member names) against the operation's input shape, recursively.

    Unknown members, types, enums, string and list lengths, numeric ranges, patterns and, inside
    nested structures, required members. `partial`: the payload holds only some top-level members,
    so the operation's own required members are not demanded. `skip(value)` marks values that
    cannot be checked (secrets, values not known yet); they are counted, not validated. `coerce`:
    numbers and booleans given for a string member are read as their text, as a typed provider
    input would be sent (never for an opaque JSON document).
    """
    walker = _Walker(service, operation, skip, coerce)
    walker.visit(input_shape(service, operation), dict(payload), "", walker.where(None, None),
                 owner_is_input=True, partial=partial)
    walker.result.fields -= 1  # the payload itself is not a field
    return walker.result


def check_value(service: str, operation: str, member_path: str, value: Any, path: str, *,
                skip: Callable[[Any], bool] = _never, coerce: bool = False) -> ShapeCheck:
    """Validate one value against the shape at `member_path` of an operation's input (see member_shape)."""
    walker = _Walker(service, operation, skip, coerce)
    shape = member_shape(service, operation, member_path)
    walker.visit(shape, value, path, walker.where(None, member_path))
    return walker.result
