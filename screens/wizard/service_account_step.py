"""Step: the service account the federated identity impersonates, and where the file goes."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Checkbox, Static

from wizard.model import identifiers as ids
from wizard.model.errors import ApiDisabledError, XwizError
from wizard.model.spec import default_credential_config

from ..context import one_line
from ..messages import SuggestionsReady
from ..widgets.field import Field
from ..widgets.suggestions import Suggestions
from .base import StepScreen, split_list

DEFAULT_ACCOUNT_ID = "aws-workload"


def grant_roles(text: str) -> tuple[str, ...]:
    return tuple(ids.gcp_role(r) for r in split_list(text))


class ServiceAccountStep(StepScreen):
    TITLE_TEXT = "Service account and credential configuration"
    WHY = ("Federated identities act as a service account: xwiz lets exactly your roles impersonate it "
           "(roles/iam.workloadIdentityUser) and writes the credential configuration your workload loads. "
           "The file holds no secret.")
    DEFAULT_ACCOUNT_ID = DEFAULT_ACCOUNT_ID

    def fields(self) -> ComposeResult:
        project = self.draft.get("project") or "my-project"
        provider = self.draft.get("provider") or "provider"
        yield Field("Service account", ids.service_account_email, id="service-account",
                    value=self.draft.get("service_account")
                    or f"{self.DEFAULT_ACCOUNT_ID}@{project}.{ids.GOOGLE_SERVICE_ACCOUNT_DOMAIN}")
        yield Suggestions(id="sa-suggestions")
        yield Static("", id="sa-note", classes="note", markup=False)
        yield Checkbox("Create it if it does not exist", self.draft.get("create_service_account", True),
                       id="create-sa")
        yield Field("Project roles to grant", grant_roles, id="grant-roles", optional=True,
                    value=" ".join(self.draft.get("grant_roles") or ()),
                    placeholder="roles/storage.objectViewer", hint="optional, comma-separated")
        yield Field("Credential config file", ids.file_path, id="credential-config",
                    value=self.draft.get("credential_config") or default_credential_config(provider))

    def load_suggestions(self) -> None:
        project = self.draft.get("project")
        if project:
            self.list_service_accounts(project)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest-service-accounts")
    def list_service_accounts(self, project: str) -> None:
        try:
            accounts = self.ctx.services.gcp.list_service_accounts(project)
        except ApiDisabledError:
            self.post_message(SuggestionsReady("service_accounts", (),
                                               "The IAM API is off: applying enables it first."))
            return
        except XwizError as e:
            self.post_message(SuggestionsReady("service_accounts", (), f"Could not list: {one_line(e)}"))
            return
        emails = tuple(sorted(a["email"] for a in accounts))
        self.post_message(SuggestionsReady("service_accounts", emails, "Existing service accounts:" if emails
                                           else "No service accounts yet: xwiz creates the one above."))

    @on(SuggestionsReady)
    def _suggestions(self, message: SuggestionsReady) -> None:
        if message.kind == "service_accounts":
            self.query_one("#sa-suggestions", Suggestions).show_values(message.values)
            self.query_one("#sa-note", Static).update(message.note)

    @on(Suggestions.Picked, "#sa-suggestions")
    def _picked(self, message: Suggestions.Picked) -> None:
        self.query_one("#service-account", Field).set_text(message.value)
        self.query_one("#create-sa", Checkbox).value = False

    def extra_problems(self) -> list[str]:
        email = self.query_one("#service-account", Field).value
        project = self.draft.get("project")
        if email and project and self.query_one("#create-sa", Checkbox).value:
            ref = ids.parse_service_account(email)
            if ref.project_id not in (project, None):
                return [f"Service account: xwiz creates service accounts only in {project}"]
        return []

    @on(Checkbox.Changed)
    def _create_changed(self) -> None:
        self.update_next()

    def collect(self) -> dict:
        return {"service_account": self.query_one("#service-account", Field).value,
                "create_service_account": self.query_one("#create-sa", Checkbox).value,
                "grant_roles": list(self.query_one("#grant-roles", Field).value or ()),
                "credential_config": self.query_one("#credential-config", Field).value}
