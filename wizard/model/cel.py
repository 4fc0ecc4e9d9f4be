"""xwiz's CEL layer: attribute mappings and conditions evaluated the way Google IAM evaluates them.

Built on `cel` (common-expression-language, Rust) plus Google's `extract`, `split` and `join`
(cloud-facts §2.3). `import cel` costs ~0.3 s (its package imports a CLI), so it is imported on first
use, never when `wizard.model` is imported.

The extension prints a line to stderr whenever a Python function registered with it raises, so the
functions here never raise: on arguments they cannot handle they return None, which makes the
surrounding CEL expression fail with an ordinary type error instead.

This is independent of the sandbox's CEL (`wizard/sandbox/google/cel.py`) on purpose: a bug in one
cannot hide behind the same bug in the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.model.errors import InputError, show
from wizard.model.identifiers import AssumedRole

# disc:iam.v1 WorkloadIdentityPoolProvider.attributeMapping, verbatim (cloud-facts §2.1)
DEFAULT_AWS_MAPPING: dict[str, str] = {
    "google.subject": "assertion.arn",
    "attribute.aws_role": "assertion.arn.contains('assumed-role')"
                          " ? assertion.arn.extract('{account_arn}assumed-role/')"
                          " + 'assumed-role/'"
                          " + assertion.arn.extract('assumed-role/{role_name}/')"
                          " : assertion.arn",
}
# EKS / Kubernetes tokens: the subject is `system:serviceaccount:NS:NAME` (M25).
KUBERNETES_MAPPING: dict[str, str] = {"google.subject": "assertion.sub"}

MAX_SUBJECT_BYTES = 127        # "Cannot exceed 127 bytes" (disc:iam.v1, M26)
MAX_MAPPING_EXPRESSION = 2048  # "The maximum length of an attribute mapping expression is 2048 characters."
MAX_CONDITION = 4096           # "The maximum length ... is 4,096 characters."
MAX_CUSTOM_ATTRIBUTES = 50
MAPPING_KEY = re.compile(r"google\.(subject|groups|display_name|profile_photo)|attribute\.[a-z0-9_]{1,100}")
VARIABLES = ("assertion", "google", "attribute")

_CEL = None


def _cel():
    global _CEL
    if _CEL is None:
        import cel  # noqa: PLC0415 — deliberately lazy, see module docstring

        _CEL = cel
    return _CEL


# ------------------------------------------------------------------------------ Google's functions
def extract(*args: Any) -> str | None:
    """`value.extract(template)`: the text between the literal before `{name}` and the literal after it.

    Google's semantics (cloud-facts §2.3): no match gives ''; no literal after the placeholder runs to
    the end of the string; no literal before it starts at the beginning. Never raises.
    """
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        return None
    value, template = args
    i = template.find("{")
    j = template.find("}", i + 1) if i >= 0 else -1
    if i < 0 or j < 0:
        return None
    prefix, suffix = template[:i], template[j + 1:]
    start = 0
    if prefix:
        k = value.find(prefix)
        if k < 0:
            return ""
        start = k + len(prefix)
    if not suffix:
        return value[start:]
    end = value.find(suffix, start)
    return "" if end < 0 else value[start:end]


def split(*args: Any) -> list[str] | None:
    """`value.split(separator)` (Google's mapping examples: `assertion.email.split("@")[0]`)."""
    if len(args) != 2 or not all(isinstance(a, str) for a in args) or not args[1]:
        return None
    return args[0].split(args[1])


def join(*args: Any) -> str | None:
    """`list.join(separator)` (Google's mapping examples: `assertion.department.join(".")`)."""
    if len(args) not in (1, 2):
        return None
    items, sep = args[0], (args[1] if len(args) == 2 else "")
    if not isinstance(items, list) or not isinstance(sep, str) or not all(isinstance(x, str) for x in items):
        return None
    return sep.join(items)


_FUNCTIONS = {"extract": extract, "split": split, "join": join}


# ----------------------------------------------------------------------------------------- compile
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")
_MACRO_VAR = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")


def _compile_error(expression: str, error: BaseException, field: str) -> InputError:
    text = str(error)
    m = _POSITION.search(text)
    if m:
        line, column, message = m.group(1), m.group(2), m.group(3).strip()
        message = message.split(" expecting {", 1)[0]  # the parser's token list helps nobody
        where = f"column {column}" if line == "1" else f"line {line} column {column}"
        return InputError(field, f"CEL does not compile at {where}: {message[:160]}", "a CEL expression")
    return InputError(field, f"CEL does not compile: {text.splitlines()[0][:160] if text else type(error).__name__}",
                      "a CEL expression")


def compile(expression: str, field: str = "expression") -> None:  # noqa: A001 — mirrors cel.compile
    """Check that an expression compiles and uses only `assertion`, `google` and `attribute`.

    Raises InputError with the parser's position; returns None when the expression is fine.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise InputError(field, f"{show(expression)} is not a CEL expression", "a non-empty CEL expression")
    if "\x00" in expression:
        raise InputError(field, "contains a NUL character", "a CEL expression")
    cel = _cel()
    try:
        program = cel.compile(expression)
        variables = set(program.references().get("variables", []))
    except Exception as e:  # the extension raises ValueError (parse) and occasionally RuntimeError
        raise _compile_error(expression, e, field) from None
    except BaseException as e:  # pyo3 panics derive from BaseException; never let one escape as a traceback
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise _compile_error(expression, e, field) from None
    bound = set(_MACRO_VAR.findall(expression))
    unknown = sorted(variables - set(VARIABLES) - bound)
    if unknown:
        raise InputError(field, f"uses unknown variable {show(unknown[0])}",
                         "expressions over assertion, google and attribute only")


def cel_string(value: str) -> str:
    """A CEL single-quoted string literal for any text."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def validate_condition(condition: str, field: str = "attribute_condition") -> str:
    """An attribute condition: compiles, at most 4096 characters (disc:iam.v1). Returns it stripped."""
    if not isinstance(condition, str) or not condition.strip():
        raise InputError(field, f"{show(condition)} is not a CEL expression", "a CEL expression that returns a bool")
    condition = condition.strip()
    if len(condition) > MAX_CONDITION:
        raise InputError(field, f"is {len(condition)} characters long", f"at most {MAX_CONDITION} characters")
    compile(condition, field)
    return condition


def validate_mapping(mapping: Mapping[str, str], field: str = "attribute_mapping") -> dict[str, str]:
    """An attribute mapping as Google accepts it: `google.subject` present, keys `google.*` or
    `attribute.[a-z0-9_]{1,100}`, at most 50 custom attributes, each expression ≤2048 chars and compiling."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise InputError(field, "is empty", "a mapping with at least google.subject")
    if "google.subject" not in mapping:
        raise InputError(field, "has no google.subject", "a mapping that includes google.subject")
    customs = [k for k in mapping if isinstance(k, str) and k.startswith("attribute.")]
    if len(customs) > MAX_CUSTOM_ATTRIBUTES:
        raise InputError(field, f"maps {len(customs)} custom attributes", f"at most {MAX_CUSTOM_ATTRIBUTES}")
    out: dict[str, str] = {}
    for key, expr in mapping.items():
        if not isinstance(key, str) or not MAPPING_KEY.fullmatch(key):
            raise InputError(f"{field}.{key}", "is not a mappable attribute",
                             "google.subject, google.groups, google.display_name, google.profile_photo or "
                             "attribute.NAME with NAME of [a-z0-9_]")
        if not isinstance(expr, str) or len(expr) > MAX_MAPPING_EXPRESSION:
            raise InputError(f"{field}.{key}", "is not a usable expression",
                             f"a CEL expression of at most {MAX_MAPPING_EXPRESSION} characters")
        compile(expr, f"{field}.{key}")
        out[key] = expr
    return out


# ------------------------------------------------------------------------------------------ mapping
@dataclass(frozen=True)
class MappingResult:
    """The mapped attributes: `subject` (google.subject) and every key → value; `errors` per failing key."""

    subject: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.subject is not None and not self.errors


def _evaluate(expression: str, variables: dict[str, Any]) -> Any:
    cel = _cel()
    ctx = cel.Context(variables=variables, functions=_FUNCTIONS)
    return cel.evaluate(expression, ctx)


def _error_text(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"no such key {error.args[0]!r}" if error.args else "no such key"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def apply_mapping(mapping: Mapping[str, str] | None, assertion: Mapping[str, Any]) -> MappingResult:
    """Evaluate each mapping expression on the assertion (None = Google's default AWS mapping).

    An expression that fails leaves its attribute unset and records why; `google.subject` must be a
    non-empty string of at most 127 bytes (M26), else it is an error too.
    """
    mapping = DEFAULT_AWS_MAPPING if not mapping else mapping
    attributes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    variables = {"assertion": dict(assertion)}
    for key, expr in mapping.items():
        try:
            value = _evaluate(expr, variables)
        except BaseException as e:  # see compile(): pyo3 panics are BaseExceptions
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            errors[key] = _error_text(e)
            continue
        if value is None:
            continue
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            errors[key] = f"evaluated to {type(value).__name__}, not a string"
            continue
        attributes[key] = value
    subject = attributes.get("google.subject")
    if not isinstance(subject, str) or not subject:
        errors.setdefault("google.subject", "google.subject is not mapped to a non-empty string")
        subject = None
    elif subject_too_long(subject):
        errors["google.subject"] = (f"The size of mapped attribute exceeds the {MAX_SUBJECT_BYTES} bytes limit. "
                                    f"({subject_bytes(subject)} bytes)")
    return MappingResult(subject, attributes, errors)


def subject_bytes(subject: str) -> int:
    return len(subject.encode("utf-8"))


def subject_too_long(subject: str) -> bool:
    """google.subject "Cannot exceed 127 bytes" (M26) — bytes, not characters."""
    return subject_bytes(subject) > MAX_SUBJECT_BYTES


def condition_variables(mapped: MappingResult | Mapping[str, Any], assertion: Mapping[str, Any]) -> dict[str, Any]:
    """What a condition sees: `assertion`, `google.*` and `attribute.*` from the mapped attributes."""
    attrs = mapped.attributes if isinstance(mapped, MappingResult) else mapped
    google: dict[str, Any] = {}
    attribute: dict[str, Any] = {}
    for key, value in attrs.items():
        scope, _, name = key.partition(".")
        if scope == "google":
            google[name] = value
        elif scope == "attribute":
            attribute[name] = value
    return {"assertion": dict(assertion), "google": google, "attribute": attribute}


# ---------------------------------------------------------------------------------------- condition
@dataclass(frozen=True)
class ConditionResult:
    """`accepted` when the condition returned true. `failing` lists the top-level sub-expressions
    that evaluated false (or failed); `error` says why the whole condition could not be evaluated."""

    accepted: bool
    failing: list[str] = field(default_factory=list)
    error: str | None = None


def evaluate_condition(condition: str | None, mapped: MappingResult | Mapping[str, Any],
                       assertion: Mapping[str, Any]) -> ConditionResult:
    """Evaluate an attribute condition like Google STS (M11). No condition accepts everything.

    For a condition joined by top-level `||` every alternative is reported (all were false); for one
    joined by `&&` only the conjuncts that were false. A non-bool result is an error.
    """
    if condition is None or not str(condition).strip():
        return ConditionResult(True)
    variables = condition_variables(mapped, assertion)
    try:
        value = _evaluate(condition, variables)
    except BaseException as e:
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return ConditionResult(False, [condition.strip()], _error_text(e))
    if not isinstance(value, bool):
        return ConditionResult(False, [condition.strip()],
                               f"the condition returned {type(value).__name__} {show(value)}, not a bool")
    if value:
        return ConditionResult(True)
    operator, parts = split_top_level(condition)
    if operator is None:
        return ConditionResult(False, [condition.strip()])
    failing = []
    for part in parts:
        try:
            part_value = _evaluate(part, variables)
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            part_value = None
        if part_value is not True:
            failing.append(part)
    return ConditionResult(False, failing or [condition.strip()])


# A tiny tokenizer: enough to find `||` and `&&` outside strings, brackets and ternaries.
_TOKEN = re.compile(r"""
    (?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<op>\|\||&&)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<question>\?)
  | (?P<other>[^'"()\[\]{}?|&rRbB]+|[|&rRbB])
""", re.VERBOSE | re.DOTALL)


def split_top_level(expression: str) -> tuple[str | None, list[str]]:
    """Split at the operator that binds loosest at top level: `||` first, else `&&`.

    Returns (operator, parts) — (None, [expression]) when there is nothing to split, the expression
    has a top-level ternary, or it does not tokenize (an unterminated string). Parentheses that wrap
    the whole expression are looked through.
    """
    text = expression.strip()
    while True:
        inner = _strip_wrapping_parens(text)
        if inner is None:
            break
        text = inner
    tokens = _tokens(text)
    if tokens is None:
        return None, [expression.strip()]
    depth = 0
    cuts: dict[str, list[int]] = {"||": [], "&&": []}
    for kind, start, end in tokens:
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif depth == 0 and kind == "question":
            return None, [expression.strip()]
        elif depth == 0 and kind == "op":
            cuts[text[start:end]].append(start)
    for op in ("||", "&&"):
        if cuts[op]:
            parts, prev = [], 0
            for at in cuts[op]:
                parts.append(text[prev:at].strip())
                prev = at + 2
            parts.append(text[prev:].strip())
            return op, parts
    return None, [expression.strip()]


def _tokens(text: str) -> list[tuple[str, int, int]] | None:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        out.append((m.lastgroup or "other", m.start(), m.end()))
        pos = m.end()
    return out


def _strip_wrapping_parens(text: str) -> str | None:
    if not (text.startswith("(") and text.endswith(")")):
        return None
    tokens = _tokens(text)
    if tokens is None:
        return None
    depth = 0
    for kind, start, _ in tokens:
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0 and start != len(text) - 1:
                return None  # `(a) || (b)`: the first paren closes early
    return text[1:-1].strip()


# ---------------------------------------------------------------------------------------- builders
def aws_role_condition(roles: Iterable[AssumedRole], field: str = "roles") -> str:
    """`assertion.arn.startsWith('arn:aws:sts::A:assumed-role/R/') || …` for the allowed roles.

    The trailing `/` keeps role `app` from admitting role `app-admin`. Compiled before it is returned.
    """
    seen: list[str] = []
    for role in roles:
        if not isinstance(role, AssumedRole):
            raise TypeError(f"aws_role_condition needs AssumedRole values, not {type(role).__name__}")
        if role.session_prefix not in seen:
            seen.append(role.session_prefix)
    if not seen:
        raise InputError(field, "is empty", "at least one IAM role allowed to federate")
    condition = " || ".join(f"assertion.arn.startsWith({cel_string(prefix)})" for prefix in seen)
    if len(condition) > MAX_CONDITION:
        raise InputError(field, f"lists {len(seen)} roles: the condition would be {len(condition)} characters",
                         f"at most {MAX_CONDITION} characters; split the roles across providers")
    compile(condition, field)
    return condition
