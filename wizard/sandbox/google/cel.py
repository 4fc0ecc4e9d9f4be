"""CEL as Google IAM evaluates attribute mappings and conditions, for the emulated STS and IAM.

Uses the `cel` package (common-expression-language) plus Google's `extract` function. This module is
the sandbox's own: xwiz's model has its own CEL layer, so a bug in one cannot hide behind the other.
Sources: cloud-facts §2.1 (default AWS mapping, verbatim), §2.2 (limits), §2.3 (`extract` semantics).
"""

from __future__ import annotations

import re
from typing import Any

# disc:iam.v1 WorkloadIdentityPoolProvider.attributeMapping, verbatim
DEFAULT_AWS_MAPPING = {
    "google.subject": "assertion.arn",
    "attribute.aws_role": "assertion.arn.contains('assumed-role')"
                          " ? assertion.arn.extract('{account_arn}assumed-role/')"
                          " + 'assumed-role/'"
                          " + assertion.arn.extract('assumed-role/{role_name}/')"
                          " : assertion.arn",
}

MAPPING_KEY = re.compile(r"^(google\.subject|google\.groups|google\.display_name|google\.profile_photo"
                         r"|attribute\.[a-z0-9_]{1,100})$")
MAX_MAPPING_EXPR = 2048
MAX_CONDITION = 4096
MAX_SUBJECT_BYTES = 127
MAX_CUSTOM_ATTRIBUTES = 50


class CelError(Exception):
    """A CEL expression that does not compile or does not evaluate."""


def extract(value: str, template: str) -> str:
    """Google IAM's `extract(template)`: the text between the literal before and after `{name}`.

    No match gives ''. No literal after the placeholder runs to the end of the string; no literal
    before it starts at the beginning (cloud-facts §2.3).
    """
    i, j = template.find("{"), template.find("}")
    if i < 0 or j < i:
        raise ValueError("extract() template must contain one {placeholder}")
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


_cel_module = None


def _cel():
    global _cel_module
    if _cel_module is None:
        import cel  # ~0.3 s: its package imports a CLI, so load it only when first needed

        _cel_module = cel
    return _cel_module


def compile_check(expression: str) -> None:
    try:
        _cel().compile(expression)
    except Exception as e:  # the extension raises ValueError with the parser's position
        raise CelError(str(e)) from None


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    cel = _cel()
    ctx = cel.Context(variables=variables, functions={"extract": extract})
    try:
        return cel.evaluate(expression, ctx)
    except Exception as e:
        raise CelError(str(e)) from None


def apply_mapping(mapping: dict[str, str], assertion: dict[str, Any]) -> dict[str, Any]:
    """Evaluate every mapping expression on the assertion. Returns {'google.subject': ..., 'attribute.x': ...}.

    An expression that fails to evaluate (e.g. a missing assertion field) leaves that attribute unset,
    as Google does for optional claims; `google.subject` must come out as a non-empty string.
    """
    out: dict[str, Any] = {}
    for key, expr in mapping.items():
        try:
            value = evaluate(expr, {"assertion": assertion})
        except CelError:
            continue
        if value is None:
            continue
        out[key] = value
    return out


def mapped_variables(mapped: dict[str, Any], assertion: dict[str, Any]) -> dict[str, Any]:
    """The variables a condition sees: `assertion`, `google.*`, `attribute.*`."""
    google: dict[str, Any] = {}
    attribute: dict[str, Any] = {}
    for key, value in mapped.items():
        scope, _, name = key.partition(".")
        (google if scope == "google" else attribute)[name] = value
    return {"assertion": assertion, "google": google, "attribute": attribute}


def validate_mapping(mapping: dict[str, str], provider_type: str) -> str | None:
    """None when the mapping is acceptable for a provider of this type, else Google's complaint."""
    if not mapping:
        if provider_type == "oidc":
            # "For OIDC providers, you must supply a custom mapping, which must include the google.subject attribute"
            return "The attribute mapping must contain a mapping for google.subject."
        return None
    if "google.subject" not in mapping:
        return "The attribute mapping must contain a mapping for google.subject."
    customs = [k for k in mapping if k.startswith("attribute.")]
    if len(customs) > MAX_CUSTOM_ATTRIBUTES:
        return f"At most {MAX_CUSTOM_ATTRIBUTES} custom attributes may be mapped."
    for key, expr in mapping.items():
        if not MAPPING_KEY.match(key):
            return f"Invalid attribute mapping key: {key}."  # synthetic text: no real capture known
        if len(expr) > MAX_MAPPING_EXPR:
            return f"The attribute mapping expression for {key} exceeds {MAX_MAPPING_EXPR} characters."
        try:
            compile_check(expr)
        except CelError as e:
            return f"Invalid attribute mapping expression for {key}: {e}"  # synthetic text
    return None


def validate_condition(condition: str) -> str | None:
    if not condition:
        return None
    if len(condition) > MAX_CONDITION:
        return f"The attribute condition exceeds {MAX_CONDITION} characters."
    try:
        compile_check(condition)
    except CelError as e:
        return f"Invalid attribute condition: {e}"  # synthetic text: Google's exact wording is not captured
    return None
