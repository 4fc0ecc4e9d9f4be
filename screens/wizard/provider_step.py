"""Step: the AWS provider, with a live preview of what Google makes of a caller.

Type (or keep) a caller ARN and see, as you type, `google.subject` and `attribute.aws_role` from
Google's default AWS mapping, and whether the provider's attribute condition admits the caller —
computed with the same pure functions the doctor uses (wizard.model.cel), no cloud call.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from wizard.model import identifiers as ids
from wizard.model.errors import InputError
from wizard.model.spec import default_credential_config

from ..widgets.field import Field
from .base import StepScreen

INSTANCE_SESSION = "i-0a1b2c3d4e5f60718"
"""A plausible EC2 session name for the preview's default caller (EC2 names sessions after the instance)."""


def caller_arn(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError(None, "is empty", "the ARN your workload's GetCallerIdentity returns")
    if not text.startswith("arn:"):
        raise InputError(None, "is not an ARN", "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION")
    return text


def condition_text(text: str) -> str:
    from wizard.model.cel import validate_condition

    return validate_condition(text, "attribute_condition")


def preview(arn: str, roles: tuple[ids.AssumedRole, ...], custom_condition: str | None) -> Content:
    """What Google STS would map and decide for this caller (M01–M04, M11, M26 in one glance)."""
    from wizard.model.cel import apply_mapping, aws_role_condition, evaluate_condition

    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    assertion = {"arn": arn, "account": account}
    mapped = apply_mapping(None, assertion)
    condition = custom_condition or (aws_role_condition(roles) if roles else None)
    verdict = evaluate_condition(condition, mapped, assertion)
    role_attr = mapped.attributes.get("attribute.aws_role", "(not mapped)")
    lines = [
        Content.from_markup("[b]google.subject[/b]      $v", v=mapped.subject or "(not mapped)"),
        Content.from_markup("[b]attribute.aws_role[/b]  $v", v=str(role_attr)),
    ]
    for key, why in mapped.errors.items():
        lines.append(Content.from_markup("[$text-error]✗ $k: $w[/]", k=key, w=why))
    if verdict.accepted:
        lines.append(Content.from_markup("[b]condition[/b]           [$text-success]✓ accepts this caller[/]"))
    else:
        lines.append(Content.from_markup("[b]condition[/b]           [$text-error]✗ rejects this caller[/]"))
        for part in verdict.failing[:3]:
            lines.append(Content.from_markup("[$text-muted]  false: $p[/]", p=part))
        if verdict.error:
            lines.append(Content.from_markup("[$text-error]  $e[/]", e=verdict.error))
    if ids.is_instance_session(arn):
        lines.append(Content.from_markup(
            "[$text-muted]This session is named after an EC2 instance: bind the role (attribute.aws_role), "
            "not the subject, so every instance is admitted.[/]"))
    return Content("\n").join(lines)


class ProviderStep(StepScreen):
    TITLE_TEXT = "AWS provider and live preview"
    WHY = ("The provider admits one AWS account. Its attribute condition decides which callers get in: "
           "try a caller ARN below and see what Google will map and whether it is accepted.")

    def fields(self) -> ComposeResult:
        account = self.draft.get("account_id") or ""
        yield Field("Provider ID", ids.provider_id, id="provider",
                    value=self.draft.get("provider") or f"aws-{account}"[:32])
        yield Field("Try a caller ARN", caller_arn, id="caller", value=self.draft.get("_caller") or self._default_caller())
        yield Field("Custom condition", condition_text, id="condition", optional=True,
                    value=self.draft.get("attribute_condition") or "",
                    hint="empty: built from your roles (assumed-role ARN prefixes)")
        yield Static("", id="preview")

    def _default_caller(self) -> str:
        detected = self.ctx.detected
        if detected.aws_arn and ":assumed-role/" in detected.aws_arn:
            return detected.aws_arn
        roles = self.draft.get("_roles") or ()
        if roles:
            return f"{roles[0].arn}/{INSTANCE_SESSION}"
        return ""

    def on_mount(self) -> None:
        super().on_mount()
        self._update_preview()

    def field_changed(self, field: Field) -> None:
        if field.id in ("caller", "condition"):
            self._update_preview()

    def _update_preview(self) -> None:
        caller = self.query_one("#caller", Field)
        condition = self.query_one("#condition", Field)
        target = self.query_one("#preview", Static)
        if caller.value is None or condition.error:
            target.update("")
            return
        target.update(preview(caller.value, tuple(self.draft.get("_roles") or ()), condition.value))

    def problems(self) -> list[str]:
        # The caller ARN only drives the preview: a bad one must not block the journey.
        return [p for p in super().problems() if not p.startswith("Try a caller ARN")]

    def collect(self) -> dict:
        provider = self.query_one("#provider", Field).value
        previous = self.draft.get("provider")
        derived = {}
        if previous and provider != previous and self.draft.get("credential_config") == default_credential_config(previous):
            derived["credential_config"] = None  # it followed the old provider ID: follow the new one
        return {**derived, "provider": provider,
                "attribute_condition": self.query_one("#condition", Field).value,
                "_caller": self.query_one("#caller", Field).text}
