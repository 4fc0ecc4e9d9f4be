"""Welcome: who you are on each cloud, and the journeys. Offers the sandbox when no cloud answers."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ..context import Detected, one_line
from ..messages import IdentityDetected

CHOICES = (
    ("aws-to-gcp", "AWS role → Google Cloud", "EC2, Lambda, ECS or any IAM role uses Google Cloud, no key"),
    ("eks-to-gcp", "EKS pod → Google Cloud", "pods use Google Cloud through their Kubernetes service account"),
    ("gcp-to-aws", "Google Cloud → AWS", "a Google Cloud workload assumes an AWS role with its ID token"),
    ("onboard", "Onboard AWS accounts", "add more AWS accounts to an existing pool"),
    ("doctor", "Doctor", "run every step of the exchange live and name what fails"),
)


def detect(services: Any, sandbox: bool) -> Detected:
    """Ask each cloud who we are (two cheap calls). Runs in a worker thread."""
    from wizard.model.errors import XwizError

    aws_arn = aws_account = aws_error = None
    google_account = google_project = google_error = None
    try:
        who = services.aws.caller_identity()
        aws_arn, aws_account = who["Arn"], who["Account"]
    except XwizError as e:
        aws_error = one_line(e)
    except Exception as e:  # botocore's NoCredentialsError and kin, before mapping
        aws_error = one_line(e)
    try:
        summary = services.gcp.credentials_summary()
        google_account, google_project = summary["account"], summary["project"]
        google_account = google_account or "application default credentials"
    except XwizError as e:
        google_error = one_line(e)
    except Exception as e:
        google_error = one_line(e)
    if sandbox and not google_project:
        google_project = (services.endpoints.sandbox or {}).get("gcp", {}).get("project_id")
    return Detected(aws_arn, aws_account, aws_error, google_account, google_project, google_error, sandbox, True)


class WelcomeScreen(Screen[None]):
    BINDINGS = [
        Binding("1", "choose('aws-to-gcp')", "AWS→GCP", show=False),
        Binding("2", "choose('eks-to-gcp')", "EKS→GCP", show=False),
        Binding("3", "choose('gcp-to-aws')", "GCP→AWS", show=False),
        Binding("4", "choose('onboard')", "Onboard", show=False),
        Binding("5", "choose('doctor')", "Doctor", show=False),
        Binding("r", "redetect", "Detect again", id="welcome-redetect"),
    ]

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="welcome-body"):
            yield Static("", id="identity")
            yield Static("What do you want to do?", classes="step-why", markup=False)
            yield OptionList(id="journeys")
        yield Footer()

    def on_mount(self) -> None:
        self._render_identity()
        self._render_choices()
        if self.ctx.services is not None and not self.ctx.detected.done:
            self.detect_identity()

    def services_ready(self) -> None:
        """Called by the app when services arrive late (an in-process sandbox finished starting)."""
        self._render_identity()
        self.detect_identity()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detect")
    def detect_identity(self) -> None:
        self.post_message(IdentityDetected(detect(self.ctx.services, self.ctx.is_sandbox)))

    @on(IdentityDetected)
    def _detected(self, message: IdentityDetected) -> None:
        self.ctx.detected = message.detected
        self._render_identity()
        self._render_choices()

    def _render_identity(self) -> None:
        d: Detected = self.ctx.detected
        lines: list[Content] = []
        if self.ctx.services is None:
            lines.append(Content.from_markup("[$text-primary]… $n[/]", n=self.ctx.boot_note or "Starting…"))
        elif not d.done:
            lines.append(Content.from_markup("[$text-muted]Detecting your AWS and Google Cloud identities…[/]"))
        else:
            if d.aws_account:
                who = (d.aws_arn or "").split(":", 5)[-1]
                lines.append(Content.from_markup("[$text-success]✓[/] [b]AWS[/b]           account $a  [$text-muted]$w[/]",
                                                 a=d.aws_account, w=who))
            else:
                lines.append(Content.from_markup("[$text-warning]✗[/] [b]AWS[/b]           $e", e=_short(d.aws_error)))
            if d.google_account:
                lines.append(Content.from_markup("[$text-success]✓[/] [b]Google Cloud[/b]  $p  [$text-muted]$a[/]",
                                                 p=f"project {d.google_project}" if d.google_project else "no project",
                                                 a=d.google_account))
            else:
                lines.append(Content.from_markup("[$text-warning]✗[/] [b]Google Cloud[/b]  $e", e=_short(d.google_error)))
        if self.ctx.is_sandbox:
            lines.append(Content.from_markup("[$text-accent]◆ Sandbox[/]       emulated clouds on 127.0.0.1, "
                                             "fake identities"))
        self.query_one("#identity", Static).update(Content("\n").join(lines))

    def _render_choices(self) -> None:
        options = self.query_one("#journeys", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        d: Detected = self.ctx.detected
        for n, (key, title, why) in enumerate(CHOICES, start=1):
            disabled = key == "onboard" and not self.app.onboarding_available  # type: ignore[attr-defined]
            label = Content.from_markup(f"[b]$n[/b]  [b]$t[/b]\n   [$text-muted]$w[/]", n=str(n), t=title,
                                        w=why + (" (not in this build yet)" if disabled else ""))
            options.add_option(Option(label, id=key, disabled=disabled))
        if d.done and not d.any_cloud and not self.ctx.is_sandbox:
            options.add_option(Option(Content.from_markup(
                "[b]S[/b]  [b]Start the sandbox[/b]\n   [$text-muted]neither cloud answered: try everything on "
                "emulated clouds on 127.0.0.1[/]"), id="sandbox"))
        options.highlighted = highlighted if highlighted is not None else 0
        options.focus()

    @on(OptionList.OptionSelected, "#journeys")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_choose(str(event.option.id))

    def action_choose(self, key: str) -> None:
        self.app.choose(key)  # type: ignore[attr-defined]

    def action_redetect(self) -> None:
        if self.ctx.services is not None:
            self.ctx.detected = Detected()
            self._render_identity()
            self.detect_identity()


def _short(error: str | None) -> str:
    text = error or "not reachable"
    return text if len(text) <= 120 else text[:117] + "…"
