"""Onboarding, step 2: the direction, the roles, the service account, and how many accounts at once."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, RadioButton, RadioSet, Static

from wizard.model import identifiers as ids

from ..widgets.field import Field
from ..wizard.base import StepScreen
from . import inputs

DIRECTIONS = (("aws-to-gcp", "AWS → Google Cloud"), ("gcp-to-aws", "Google Cloud → AWS"))
DEFAULT_ADMIN_ROLE = "OrganizationAccountAccessRole"
DEFAULT_CONCURRENCY = "8"


class OnboardOptionsStep(StepScreen):
    TITLE_TEXT = "Direction and roles"
    WHY = ("Google admits only the roles named here (the provider's condition); AWS trusts only the one "
           "service account (the role's trust policy).")
    DEFAULT_CSS = """
    OnboardOptionsStep #direction { layout: horizontal; height: auto; width: auto; border: none; padding: 0;
                                    background: $background; }
    OnboardOptionsStep #direction RadioButton { width: auto; margin-right: 2; }
    OnboardOptionsStep .direction-row { height: auto; }
    OnboardOptionsStep .direction-row Label { width: 24; padding: 0 1 0 0; }
    OnboardOptionsStep #direction-what { margin: 0 0 1 24; color: $text-muted; }
    OnboardOptionsStep .direction { height: auto; }
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state: inputs.SpecState = self.draft.get("_state")
        self.requests = tuple(self.draft.get("accounts") or ())

    @property
    def direction(self) -> str:
        return DIRECTIONS[max(self.query_one("#direction", RadioSet).pressed_index, 0)][0]

    def fields(self) -> ComposeResult:
        chosen = self.draft.get("direction") or ("aws-to-gcp" if self.state.pool else "gcp-to-aws")
        spec = self.state.spec
        workload = (self.ctx.sandbox_endpoints or {}).get("gcp", {}).get("workload_service_account", "")
        with Horizontal(classes="direction-row"):
            yield Label("Direction")
            with RadioSet(id="direction"):
                for key, label in DIRECTIONS:
                    yield RadioButton(label, value=key == chosen, id=f"towards-{key}")
        yield Static("", id="direction-what", markup=False)
        with Vertical(id="direction-aws-to-gcp", classes="direction"):
            from_file = sum(1 for a in self.requests if a.roles)
            hint = ("names or ARNs; the file's roles column wins where it has one" if from_file
                    else "names or ARNs, comma-separated; the same roles in every account")
            yield Field("Roles allowed in", inputs.role_names, id="roles", optional=True, hint=hint,
                        value=" ".join(self.draft.get("roles") or ()), placeholder="app, worker")
            default_sa = inputs.default_service_account(spec, "aws-to-gcp")
            yield Field("Service account", ids.service_account_email, id="a2g-service-account", optional=True,
                        value=self.draft.get("a2g_service_account") or default_sa,
                        placeholder="the one xwiz.toml uses")
        with Vertical(id="direction-gcp-to-aws", classes="direction"):
            yield Field("Service account", ids.service_account_email, id="g2a-service-account",
                        value=self.draft.get("g2a_service_account")
                        or inputs.default_service_account(spec, "gcp-to-aws", workload),
                        placeholder="app@my-project.iam.gserviceaccount.com")
            yield Field("Role to create", ids.aws_role_name, id="role-name",
                        value=self.draft.get("role_name") or "gcp-workload", hint="in every account")
            yield Field("Audience", ids.id_token_audience, id="audience", optional=True,
                        value=self.draft.get("audience") or "", placeholder="empty: the role name")
            yield Field("Admin role", ids.aws_role_name, id="admin-role",
                        value=self.draft.get("admin_role") or DEFAULT_ADMIN_ROLE,
                        hint="assumed in each account to create the role")
            yield Field("Policies to attach", inputs.policy_arns, id="policies", optional=True,
                        value=" ".join(self.draft.get("policies") or ()),
                        placeholder="arn:aws:iam::aws:policy/ReadOnlyAccess")
        yield Field("Concurrency", inputs.concurrency, id="concurrency",
                    value=str(self.draft.get("concurrency") or DEFAULT_CONCURRENCY),
                    hint=f"accounts worked on at once (1–{inputs.MAX_CONCURRENCY})")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_direction()

    def focus_first_problem(self) -> None:
        box = self.query_one(f"#direction-{self.direction}", Vertical)
        fields = [f for f in box.query(Field) if f.error] or list(box.query(Field))
        if fields:
            fields[0].input.focus()

    @on(RadioSet.Changed, "#direction")
    def _direction_changed(self) -> None:
        self._show_direction()
        self.update_next()

    def _show_direction(self) -> None:
        direction = self.direction
        for key, _ in DIRECTIONS:
            self.query_one(f"#direction-{key}", Vertical).display = key == direction
        n = inputs.summary_of(self.requests)
        if direction == "aws-to-gcp":
            pool = self.state.pool
            what = (f"{n}: a provider each in pool {pool}, bindings on the service account, an entry each in "
                    f"{self.state.where()}." if pool else f"{n}: needs a pool in {self.state.where()} first.")
        else:
            what = f"{n}: the role in each, through the admin role; an entry each in {self.state.where()}."
        self.query_one("#direction-what", Static).update(what)

    # -- validity and result --------------------------------------------------------------------
    def problems(self) -> list[str]:
        direction = self.direction
        box = self.query_one(f"#direction-{direction}", Vertical)
        out = [f"{f.label}: {f.error}" for f in (*box.query(Field), self.query_one("#concurrency", Field))
               if f.error]
        if direction == "aws-to-gcp":
            if not self.state.pool:
                out.insert(0, f"no pool in {self.state.where()}: set up AWS → Google Cloud first (Back)")
            elif not self.query_one("#roles", Field).value:
                missing = [a.account_id for a in self.requests if not a.roles]
                if missing:
                    out.append(f"Roles allowed in: needed ({inputs.summary_of(missing)} without roles of their own)")
        return out

    def collect(self) -> dict:
        def value(field_id: str) -> Any:
            return self.query_one(f"#{field_id}", Field).value

        return {"direction": self.direction, "roles": list(value("roles") or ()),
                "a2g_service_account": value("a2g-service-account"),
                "g2a_service_account": value("g2a-service-account"), "role_name": value("role-name"),
                "audience": value("audience"), "admin_role": value("admin-role"),
                "policies": list(value("policies") or ()), "concurrency": value("concurrency")}
