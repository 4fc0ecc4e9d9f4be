"""Step (Google Cloud → AWS): the service account, the AWS role that will trust it, and the profile."""

from __future__ import annotations

from textual.app import ComposeResult

from wizard.model import identifiers as ids

from ..widgets.field import Field
from .base import StepScreen, split_list


def policies(text: str) -> tuple[str, ...]:
    return tuple(ids.iam_policy_arn(p) for p in split_list(text))


class GcpToAwsStep(StepScreen):
    TITLE_TEXT = "Service account and the AWS role it assumes"
    WHY = ("AWS trusts Google's ID tokens for one service account: the role's trust policy matches "
           "accounts.google.com:sub to the account's unique ID (not its email) and :oaud to the audience.")

    def fields(self) -> ComposeResult:
        detected = self.ctx.detected
        workload = (self.ctx.sandbox_endpoints or {}).get("gcp", {}).get("workload_service_account", "")
        role = self.draft.get("role_name") or "gcp-workload"
        yield Field("Service account", ids.service_account_email, id="service-account",
                    value=self.draft.get("service_account") or workload,
                    placeholder="app@my-project.iam.gserviceaccount.com")
        yield Field("AWS account ID", ids.aws_account_id, id="account",
                    value=self.draft.get("account_id") or detected.aws_account or "")
        yield Field("Role name", ids.aws_role_name, id="role-name", value=role)
        yield Field("Audience", ids.id_token_audience, id="audience", value=self.draft.get("audience") or role,
                    hint="the ID token audience the workload asks Google for")
        yield Field("Policies to attach", policies, id="policies", optional=True,
                    value=" ".join(self.draft.get("policies") or ()),
                    placeholder="arn:aws:iam::aws:policy/ReadOnlyAccess")
        yield Field("AWS profile", ids.aws_profile_name, id="profile", optional=True,
                    value=self.draft.get("profile") or role)

    def collect(self) -> dict:
        return {"service_account": self.query_one("#service-account", Field).value,
                "account_id": self.query_one("#account", Field).value,
                "role_name": self.query_one("#role-name", Field).value,
                "audience": self.query_one("#audience", Field).value,
                "policies": list(self.query_one("#policies", Field).value or ()),
                "profile": self.query_one("#profile", Field).value}
