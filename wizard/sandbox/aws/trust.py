"""Role trust-policy evaluation with AWS's rules, as STS applies them to `sts:AssumeRole*`.

A pure function, kept apart from the HTTP code so a differential test can run it against xwiz's
own evaluator. Rules (IAM User Guide, "Policy evaluation logic" and "Condition operators"):

* an explicit Deny in any matching statement wins; otherwise some Allow must match; otherwise
  the request is implicitly denied;
* a statement matches when its Principal, Action and every Condition operator match;
* Condition: operators are ANDed, keys inside an operator are ANDed, the values listed for one key
  are ORed; key names are case-insensitive, values case-sensitive (except `…IgnoreCase`);
* a key missing from the request: a positive operator is false, a negated one (`StringNotEquals`,
  `StringNotLike`, …) is true, `…IfExists` is true, `ForAllValues:` is true, `ForAnyValue:` false;
* `StringLike` wildcards: `*` any run of characters, `?` one character.

The request context is a plain dict: condition keys (`accounts.google.com:aud`, …) map to a
string or a list of strings; the reserved key `"principal"` holds who is asking, as
`{"Federated": "accounts.google.com"}`, `{"Federated": "arn:aws:iam::…:oidc-provider/…"}` or
`{"AWS": ["arn:aws:iam::111122223333:user/x", …]}` (every ARN that names the caller).
"""

from __future__ import annotations

import re
from typing import Any

PRINCIPAL_KEY = "principal"

_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals"}
_SUPPORTED = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
              "StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Bool",
              "Null", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
              "NumericGreaterThan", "NumericGreaterThanEquals"}


def evaluate_trust(policy: dict, action: str, context: dict) -> tuple[bool, str]:
    """Whether the trust policy lets the principal in `context` perform `action`, and why."""
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    principal = context.get(PRINCIPAL_KEY) or {}
    keys = {k.lower(): v for k, v in context.items() if k != PRINCIPAL_KEY}
    allow_reason = None
    misses: list[str] = []
    for index, stmt in enumerate(statements):
        label = f"statement {index}" + (f" ({stmt.get('Sid')})" if isinstance(stmt, dict) and stmt.get("Sid") else "")
        if not isinstance(stmt, dict):
            misses.append(f"{label}: not an object")
            continue
        effect = stmt.get("Effect")
        miss = _statement_miss(stmt, action, principal, keys)
        if miss is not None:
            misses.append(f"{label} ({effect}): {miss}")
            continue
        if effect == "Deny":
            return False, f"{label} (Deny) matches: explicit deny"
        if effect == "Allow" and allow_reason is None:
            allow_reason = f"{label} (Allow) matches"
    if allow_reason:
        return True, allow_reason
    if not statements:
        return False, "the policy has no statements: implicit deny"
    return False, "no statement allows the request (implicit deny): " + "; ".join(misses)


def _statement_miss(stmt: dict, action: str, principal: dict, keys: dict) -> str | None:
    """None when the statement applies to the request, else the first reason it does not."""
    if "Principal" in stmt:
        if not _principal_matches(stmt["Principal"], principal):
            return f"principal {_describe(principal)} is not {stmt['Principal']!r}"
    elif "NotPrincipal" in stmt:
        if _principal_matches(stmt["NotPrincipal"], principal):
            return f"principal {_describe(principal)} is excluded by NotPrincipal"
    else:
        return "no Principal element"
    if "Action" in stmt:
        if not any(_wildcard(p, action, ignore_case=True) for p in _as_list(stmt["Action"])):
            return f"action {action} is not in {stmt['Action']!r}"
    elif "NotAction" in stmt:
        if any(_wildcard(p, action, ignore_case=True) for p in _as_list(stmt["NotAction"])):
            return f"action {action} is excluded by NotAction"
    else:
        return "no Action element"
    for operator, block in (stmt.get("Condition") or {}).items():
        if not isinstance(block, dict):
            return f"condition {operator} is not an object"
        for key, wanted in block.items():
            miss = _condition_miss(operator, key, _as_list(wanted), keys)
            if miss:
                return miss
    return None


def _condition_miss(operator: str, key: str, wanted: list, keys: dict) -> str | None:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in _SUPPORTED or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return f"condition operator {operator} is not supported"
    present = key.lower() in keys and keys[key.lower()] is not None
    values = [str(v) for v in _as_list(keys.get(key.lower()))] if present else []
    where = f"condition {operator} {key}"
    if base == "Null":
        want_absent = str(wanted[0]).lower() == "true" if wanted else True
        if want_absent == present:
            return f"{where}: key is {'present' if present else 'absent'}"
        return None
    if not present or not values:
        if if_exists or qualifier == "ForAllValues" or (base in _NEGATED and qualifier != "ForAnyValue"):
            return None
        return f"{where}: key is absent from the request"

    def one(value: str) -> bool:
        hit = any(_compare(base, value, str(w) if not isinstance(w, bool) else str(w).lower()) for w in wanted)
        return not hit if base in _NEGATED else hit

    if qualifier == "ForAllValues":
        ok = all(one(v) for v in values)
    elif qualifier == "ForAnyValue":
        ok = any(one(v) for v in values)
    else:
        # a single-valued operator on a list: positive = any value matches, negated = none matches
        ok = all(one(v) for v in values) if base in _NEGATED else any(one(v) for v in values)
    if ok:
        return None
    shown = values[0] if len(values) == 1 else values
    return f"{where}: request value {shown!r} does not satisfy {wanted!r}"


def _compare(base: str, value: str, wanted: str) -> bool:
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return value == wanted if base.startswith("String") else _wildcard(wanted, value)
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return value.lower() == wanted.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _wildcard(wanted, value)
    if base == "Bool":
        return value.lower() == wanted.lower()
    try:
        a, b = float(value), float(wanted)
    except ValueError:
        return False
    return {"NumericEquals": a == b, "NumericNotEquals": a == b, "NumericLessThan": a < b,
            "NumericLessThanEquals": a <= b, "NumericGreaterThan": a > b,
            "NumericGreaterThanEquals": a >= b}[base]


def _principal_matches(element: Any, principal: dict) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, listed in element.items():
        for entry in _as_list(listed):
            if entry == "*":
                if kind in principal:
                    return True
                continue
            if kind == "Federated" and entry in _as_list(principal.get("Federated")):
                return True
            if kind == "AWS" and _aws_principal_matches(str(entry), _as_list(principal.get("AWS"))):
                return True
            if kind == "Service" and entry in _as_list(principal.get("Service")):
                return True
    return False


def _aws_principal_matches(entry: str, caller_arns: list) -> bool:
    """`123456789012` and `arn:aws:iam::123456789012:root` name every principal of the account."""
    account = entry if re.fullmatch(r"[0-9]{12}", entry) else None
    m = re.fullmatch(r"arn:aws:iam::([0-9]{12}):root", entry)
    if m:
        account = m.group(1)
    for arn in caller_arns:
        if account and str(arn).split(":")[4:5] == [account]:
            return True
        if entry == arn:
            return True
    return False


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(rx, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _describe(principal: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in principal.items()) or "(none)"
