"""Local evaluation of a provider's attribute mapping and condition on the caller's real assertion
(`wizard.model.cel`, independent of the sandbox's CEL): what STS will compute, before STS is asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wizard.model import cel

from .context import Context
from .google_steps import key
from .spec import Outcome, failed, passed

_TOO_LONG = "exceeds the"


def gcloud_mapping(mapping: Mapping[str, str]) -> str:
    """A mapping as gcloud's --attribute-mapping takes it: KEY=EXPR,KEY=EXPR."""
    return ",".join(f"{k}={v}" for k, v in mapping.items())


def mapping(ctx: Context, direction: str, assertion: Mapping[str, Any], default: Mapping[str, str] | None,
            shown_assertion: Mapping[str, Any]) -> Outcome:
    provider = ctx.need(key(direction, "provider"))
    configured = provider.get("attributeMapping") or {}
    used = dict(configured) if configured else (dict(default) if default else {})
    evidence: dict[str, Any] = {"assertion": dict(shown_assertion),
                                "mapping": "default AWS mapping" if not configured and default else used}
    if not used:
        return failed("attribute-mapping-invalid", "the provider has no attribute mapping; an OIDC provider must "
                      "map google.subject (e.g. google.subject=assertion.sub)", evidence,
                      fix={"mapping": "google.subject=assertion.sub"})
    result = cel.apply_mapping(used, assertion)
    errors = {k: v for k, v in result.errors.items() if not (k == "google.subject" and _TOO_LONG in v)}
    evidence.update(subject=result.subject, attributes={k: v for k, v in result.attributes.items()
                                                        if k != "google.subject"})
    if errors:
        first = next(iter(errors))
        return failed("attribute-mapping-invalid", f"{first} = {used.get(first, '?')!s:.120} fails: {errors[first]}",
                      {**evidence, "errors": errors},
                      fix={"mapping": gcloud_mapping(default) if default else "google.subject=assertion.sub"})
    return passed(f"google.subject = {result.subject}", evidence, provide={key(direction, "mapped"): result})


def subject_length(ctx: Context, direction: str, shorter_mapping: Mapping[str, str] | None) -> Outcome:
    mapped: cel.MappingResult = ctx.need(key(direction, "mapped"))
    size = cel.subject_bytes(mapped.subject or "")
    evidence = {"subject": mapped.subject, "bytes": size, "limit": cel.MAX_SUBJECT_BYTES}
    if size > cel.MAX_SUBJECT_BYTES:
        return failed("subject-too-long", f"google.subject is {size} bytes; STS refuses more than "
                      f"{cel.MAX_SUBJECT_BYTES}", evidence,
                      fix={"mapping": gcloud_mapping(shorter_mapping) if shorter_mapping else None})
    return passed(f"google.subject is {size} bytes (limit {cel.MAX_SUBJECT_BYTES})", evidence)


def condition(ctx: Context, direction: str, assertion: Mapping[str, Any], widened: str | None) -> Outcome:
    provider = ctx.need(key(direction, "provider"))
    mapped: cel.MappingResult = ctx.need(key(direction, "mapped"))
    text = provider.get("attributeCondition")
    if not text:
        return passed("the provider has no attribute condition: every identity of the account is admitted",
                      {"attribute_condition": None})
    result = cel.evaluate_condition(text, mapped, assertion)
    evidence: dict[str, Any] = {"attribute_condition": text}
    if result.accepted:
        return passed("the attribute condition admits this caller", evidence)
    evidence["failing"] = result.failing
    if result.error:
        evidence["error"] = result.error
    shown = " / ".join(result.failing)[:300]
    return failed("attribute-condition-rejects", f"the attribute condition rejects this caller: {shown} "
                  f"{'fails' if result.error else 'is false'}", evidence, fix={"condition": widened})
