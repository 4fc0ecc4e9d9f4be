"""AWS IAM condition operators, evaluated the way IAM documents them.

A policy's `Condition` block is `{operator: {key: value-or-list}}`. IAM's rules, which this
module follows:

* Values listed under one key are ORed; keys under one operator, and operators in one block, are ANDed.
* Condition *key* names are case-insensitive; string *values* are case-sensitive unless the
  operator says `IgnoreCase`.
* A positive operator (`StringEquals`, `StringLike`, …) on a key the request does not carry is
  false; a negated one (`StringNotEquals`, `StringNotLike`, …) is true ("If the policy condition
  requires that the key is not matched … and the right key is not present, the condition is true").
* `…IfExists`: a key that is absent makes the condition true; otherwise it is evaluated as usual.
* `Null`: `"true"` means the key must be absent, `"false"` that it must be present.
* Set operators over multi-valued keys: `ForAnyValue:` is true when at least one request value
  satisfies the operator (false for an absent or empty key); `ForAllValues:` is true when every
  request value satisfies it (vacuously true for an absent or empty key — IAM's well-known trap).
* A multi-valued key used without a set operator is matched as "any request value": this is how
  `StringEquals` on an OIDC `:aud` behaves when the token's `aud` is a list; a negated operator
  then needs *no* request value to match.

What this engine does not evaluate (numeric, date, Bool, ARN, IP operators; policy variables
`${…}` in a 2012-10-17 policy) is reported as `unsupported`, never guessed: callers decide what
an unevaluable condition means for their statement (a Deny is then assumed to apply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

__all__ = [
    "ConditionResult",
    "ContextKey",
    "RequestContext",
    "evaluate_conditions",
    "parse_operator",
    "wildcard_match",
    "as_strings",
    "Operator",
]

_STRING_OPERATORS = {
    "stringequals": ("StringEquals", False),
    "stringnotequals": ("StringNotEquals", True),
    "stringequalsignorecase": ("StringEqualsIgnoreCase", False),
    "stringnotequalsignorecase": ("StringNotEqualsIgnoreCase", True),
    "stringlike": ("StringLike", False),
    "stringnotlike": ("StringNotLike", True),
}
_SET_QUALIFIERS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}


@dataclass(frozen=True)
class ContextKey:
    """One request-context key: its values and where they came from (for explanations)."""

    name: str
    values: tuple[str, ...]
    source: str = ""  # e.g. "the token's azp"
    multi_valued: bool = False


RequestContext = Mapping[str, ContextKey]  # keyed by the lower-cased key name


@dataclass(frozen=True)
class Operator:
    """A parsed operator name: `ForAnyValue:StringLikeIfExists` → (ForAnyValue, StringLike, True)."""

    text: str
    qualifier: str | None  # "ForAnyValue" | "ForAllValues" | None
    base: str  # canonical spelling, e.g. "StringEquals", "Null"
    if_exists: bool
    negated: bool
    supported: bool


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of one (operator, key) pair of a Condition block."""

    operator: str
    key: str
    expected: tuple[str, ...]
    actual: tuple[str, ...] | None  # None = the request does not carry the key
    ok: bool
    why: str
    unsupported: bool = False


def as_strings(value: Any) -> tuple[str, ...] | None:
    """A policy or claim value as IAM compares it (strings); None when it has no string form."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            return None
    return tuple(out)


@lru_cache(maxsize=256)
def parse_operator(text: str) -> Operator:
    qualifier = None
    rest = text
    if ":" in text:
        prefix, rest = text.split(":", 1)
        qualifier = _SET_QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            return Operator(text, None, text, False, False, False)
    lowered = rest.lower()
    if_exists = lowered.endswith("ifexists")
    if if_exists:
        lowered = lowered[: -len("ifexists")]
    if lowered == "null":
        # `NullIfExists` and set-qualified Null are not valid IAM grammar.
        supported = not if_exists and qualifier is None
        return Operator(text, qualifier, "Null", if_exists, False, supported)
    if lowered in _STRING_OPERATORS:
        base, negated = _STRING_OPERATORS[lowered]
        return Operator(text, qualifier, base, if_exists, negated, True)
    return Operator(text, qualifier, rest, if_exists, False, False)


@lru_cache(maxsize=1024)
def _like_pattern(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `StringLike`: `*` is any run of characters (including none), `?` exactly one."""
    if ignore_case:
        pattern, value = pattern.casefold(), value.casefold()
    return _like_pattern(pattern).fullmatch(value) is not None


def _matches_one(base: str, expected: str, actual: str) -> bool:
    if base in ("StringEquals", "StringNotEquals"):
        return expected == actual
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return expected.casefold() == actual.casefold()
    return wildcard_match(expected, actual)  # StringLike / StringNotLike


def _value_satisfies(op: Operator, expected: tuple[str, ...], actual: str) -> bool:
    """One request value against the key's policy values (ORed; negated = matches none)."""
    hit = any(_matches_one(op.base, e, actual) for e in expected)
    return not hit if op.negated else hit


def _quote(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f'"{values[0]}"'
    return "one of " + ", ".join(f'"{v}"' for v in values)


def _describe(ctx: ContextKey | None, key: str) -> str:
    if ctx is None:
        return key
    return f"{key} ({ctx.source})" if ctx.source else key


def _null(op: Operator, key: str, expected: tuple[str, ...], ctx: ContextKey | None) -> ConditionResult:
    present = ctx is not None and len(ctx.values) > 0
    actual = ctx.values if present else None
    wanted = {e.lower() for e in expected}
    if not wanted <= {"true", "false"}:
        return ConditionResult(op.text, key, expected, actual, False,
                               f'Null takes "true" or "false", not {_quote(expected)}', unsupported=True)
    ok = ("false" in wanted and present) or ("true" in wanted and not present)
    if ok:
        why = f"{key} is {'present' if present else 'absent'}, as the policy requires"
    elif present:
        why = f"the policy requires {_describe(ctx, key)} to be absent (Null: true), but the request carries it"
    else:
        why = f"the policy requires {key} to be present (Null: false), but the request does not carry it"
    return ConditionResult(op.text, key, expected, actual, ok, why)


def _evaluate_one(op: Operator, key: str, raw_value: Any, context: RequestContext,
                  policy_variables: bool) -> ConditionResult:
    expected = as_strings(raw_value)
    ctx = context.get(key.lower())
    if expected is None:
        return ConditionResult(op.text, key, (), ctx.values if ctx else None, False,
                               f"the value of {key} under {op.text} is not a string or a list of strings",
                               unsupported=True)
    if not op.supported:
        return ConditionResult(op.text, key, expected, ctx.values if ctx else None, False,
                               f"xwiz cannot evaluate the condition operator {op.text}", unsupported=True)
    if op.base == "Null":
        return _null(op, key, expected, ctx)
    if policy_variables and any("${" in e for e in expected):
        return ConditionResult(op.text, key, expected, ctx.values if ctx else None, False,
                               f"the value of {key} uses a policy variable (${{…}}), which xwiz does not evaluate",
                               unsupported=True)

    present = ctx is not None and len(ctx.values) > 0
    actual = ctx.values if present else None
    who = _describe(ctx, key)
    if not present:
        if op.if_exists:
            return ConditionResult(op.text, key, expected, None, True,
                                   f"{key} is absent, so {op.text} does not apply")
        if op.qualifier == "ForAllValues":
            return ConditionResult(op.text, key, expected, None, True,
                                   f"{key} is absent, and ForAllValues is true for an empty set")
        if op.qualifier is None and op.negated:
            return ConditionResult(op.text, key, expected, None, True,
                                   f"{key} is absent, and a negated operator ({op.base}) is true then")
        return ConditionResult(op.text, key, expected, None, False,
                               f"the request does not carry {key}; the policy expects {_quote(expected)}")

    verdicts = [_value_satisfies(op, expected, value) for value in actual]
    if op.qualifier == "ForAllValues":
        ok = all(verdicts)
    elif op.qualifier == "ForAnyValue":
        ok = any(verdicts)
    elif op.negated:
        ok = all(verdicts)  # no request value may match
    else:
        ok = any(verdicts)
    shown = _quote(actual) if len(actual) == 1 else "[" + ", ".join(f'"{v}"' for v in actual) + "]"
    if ok:
        why = f"{who} is {shown}, which satisfies {op.text} {_quote(expected)}"
    elif op.negated:
        why = f"{who} is {shown}; {op.text} forbids {_quote(expected)}"
    else:
        why = f"{who} is {shown}; the policy expects {_quote(expected)} ({op.text})"
    return ConditionResult(op.text, key, expected, actual, ok, why)


def evaluate_conditions(condition: Any, context: RequestContext, *,
                        policy_variables: bool = True) -> list[ConditionResult]:
    """Every (operator, key) pair of a Condition block, in the block's order.

    The block holds when every result is `ok`. `policy_variables` is True for 2012-10-17
    policies, where `${…}` in a value is a variable (reported as unsupported); in older
    policies it is literal text.
    """
    if condition is None:
        return []
    if not isinstance(condition, Mapping):
        return [ConditionResult("Condition", "", (), None, False,
                                "the Condition element is not an object", unsupported=True)]
    results: list[ConditionResult] = []
    for operator_text, pairs in condition.items():
        op = parse_operator(str(operator_text))
        if not isinstance(pairs, Mapping) or not pairs:
            results.append(ConditionResult(str(operator_text), "", (), None, False,
                                           f"{operator_text} must map condition keys to values",
                                           unsupported=True))
            continue
        for key, raw_value in pairs.items():
            results.append(_evaluate_one(op, str(key), raw_value, context, policy_variables))
    return results
