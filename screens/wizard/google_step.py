"""Step: the Google Cloud project and the workload identity pool."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.model import identifiers as ids
from wizard.model.errors import ApiDisabledError, XwizError

from ..context import one_line
from ..messages import SuggestionsReady
from ..widgets.field import Field
from ..widgets.suggestions import Suggestions
from .base import StepScreen

DEFAULT_POOL = "aws-federation"
LIST_DEBOUNCE_S = 0.4


class GoogleStep(StepScreen):
    TITLE_TEXT = "Google Cloud project and workload identity pool"
    WHY = ("AWS identities are trusted through a pool in one project; its providers say which AWS "
           "accounts may exchange their credentials, and the pool's number appears in every binding.")
    NEED_POOL = True
    _debounce = None

    def fields(self) -> ComposeResult:
        detected = self.ctx.detected
        yield Field("Project ID", ids.project_id, id="project",
                    value=self.draft.get("project") or detected.google_project or "",
                    placeholder="my-project")
        if self.NEED_POOL:
            yield Field("Pool ID", ids.pool_id, id="pool", value=self.draft.get("pool") or DEFAULT_POOL,
                        hint="4-32 of a-z 0-9 -; an existing pool is reused")
            yield Suggestions(id="pool-suggestions")
            yield Static("", id="pool-note", classes="note", markup=False)

    def load_suggestions(self) -> None:
        if self.NEED_POOL:
            project = self.query_one("#project", Field).value
            if project:
                self.list_pools(project)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest-pools")
    def list_pools(self, project: str) -> None:
        try:
            pools = self.ctx.services.gcp.list_pools(project)
        except ApiDisabledError:
            self.post_message(SuggestionsReady("pools", (), f"The IAM API is off in {project}: "
                                               "applying enables it, then creates the pool."))
            return
        except XwizError as e:
            self.post_message(SuggestionsReady("pools", (), f"Could not list pools: {one_line(e)}"))
            return
        names = tuple(p["name"].rsplit("/", 1)[-1] for p in pools if p.get("state") != "DELETED")
        self.post_message(SuggestionsReady("pools", names, "" if names else f"No pools in {project} yet."))

    @on(SuggestionsReady)
    def _suggestions(self, message: SuggestionsReady) -> None:
        if message.kind == "pools":
            self.query_one("#pool-suggestions", Suggestions).show_values(message.values)
            self.query_one("#pool-note", Static).update(message.note)

    @on(Suggestions.Picked, "#pool-suggestions")
    def _picked(self, message: Suggestions.Picked) -> None:
        self.query_one("#pool", Field).set_text(message.value)

    def field_changed(self, field: Field) -> None:
        if field.id == "project" and field.value and self.NEED_POOL:
            # Debounced: a listing per keystroke would only be cancelled by the next one.
            if self._debounce is not None:
                self._debounce.stop()
            self._debounce = self.set_timer(LIST_DEBOUNCE_S, lambda project=field.value: self.list_pools(project))

    def collect(self) -> dict:
        out = {"project": self.query_one("#project", Field).value}
        if self.NEED_POOL:
            out["pool"] = self.query_one("#pool", Field).value
        return out


class ProjectStep(GoogleStep):
    """Google Cloud → AWS needs only the project (no pool: AWS trusts Google's own ID tokens)."""

    TITLE_TEXT = "Google Cloud project"
    WHY = "The project that holds the service account your Google Cloud workload runs as."
    NEED_POOL = False
