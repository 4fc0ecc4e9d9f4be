"""Step: the AWS account and the IAM roles allowed to reach Google Cloud."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.model import identifiers as ids
from wizard.model.errors import InputError, XwizError
from wizard.model.spec import default_credential_config

from ..context import one_line
from ..messages import SuggestionsReady
from ..widgets.field import Field
from ..widgets.suggestions import Suggestions
from .base import StepScreen, split_list


class AwsStep(StepScreen):
    TITLE_TEXT = "AWS account and roles"
    WHY = ("Google checks the caller's assumed-role ARN, never a bare role name or an IAM role ARN: "
           "roles are normalised to arn:aws:sts::ACCOUNT:assumed-role/NAME, whatever form you type.")

    def fields(self) -> ComposeResult:
        detected = self.ctx.detected
        yield Field("AWS account ID", ids.aws_account_id, id="account",
                    value=self.draft.get("account_id") or detected.aws_account or "", placeholder="111122223333")
        yield Field("Roles allowed in", self._roles, id="roles", value=" ".join(self.draft.get("roles") or ()),
                    placeholder="app-role, arn:aws:iam::111122223333:role/path/worker",
                    hint="names or ARNs, comma-separated; pick from the roles found below")
        yield Suggestions(id="role-suggestions")
        yield Static("", id="roles-note", classes="note", markup=False)

    def _account(self) -> str | None:
        """The account field's value, judged afresh (fields mount in any order)."""
        try:
            return ids.aws_account_id(self.query_one("#account", Field).text)
        except Exception:  # not mounted yet, or not an account ID
            return None

    def _roles(self, text: str) -> tuple[ids.AssumedRole, ...]:
        names = split_list(text)
        if not names:
            raise InputError(None, "no role yet", "at least one IAM role whose sessions may federate")
        account = self._account()
        return tuple(ids.assumed_role_arn(name, account) for name in names)

    def load_suggestions(self) -> None:
        if self.ctx.detected.aws_account:
            self.list_roles()

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest-roles")
    def list_roles(self) -> None:
        try:
            roles = self.ctx.services.aws.list_roles()
        except XwizError as e:
            self.post_message(SuggestionsReady("roles", (), f"Could not list roles: {one_line(e)}"))
            return
        names = tuple(sorted(r["RoleName"] for r in roles))
        note = f"Roles in account {self.ctx.detected.aws_account}:" if names else "No roles found."
        self.post_message(SuggestionsReady("roles", names, note))

    @on(SuggestionsReady)
    def _suggestions(self, message: SuggestionsReady) -> None:
        if message.kind == "roles":
            self.query_one("#role-suggestions", Suggestions).show_values(message.values)
            self.query_one("#roles-note", Static).update(message.note)

    @on(Suggestions.Picked, "#role-suggestions")
    def _picked(self, message: Suggestions.Picked) -> None:
        field = self.query_one("#roles", Field)
        current = split_list(field.text)
        if message.value not in current:
            field.set_text(", ".join([*current, message.value]))

    def field_changed(self, field: Field) -> None:
        if field.id == "account":
            self.query_one("#roles", Field).revalidate()

    def collect(self) -> dict:
        account = self.query_one("#account", Field).value
        roles = self.query_one("#roles", Field).value
        # Keep what the user typed (a name reads best in xwiz.toml); the spec loader normalises it again.
        out = {"account_id": account, "roles": split_list(self.query_one("#roles", Field).text), "_roles": roles}
        previous = self.draft.get("account_id")
        provider = self.draft.get("provider")
        if previous and account != previous and provider == f"aws-{previous}"[:32]:
            # The provider ID (and its file) were derived from the account: another account is another
            # provider, added next to the first rather than replacing it.
            out["provider"] = None
            if self.draft.get("credential_config") == default_credential_config(provider):
                out["credential_config"] = None
        return out
