"""The xwiz Textual app: `make_app(services, spec)` builds it (posting's factory), `run_tui` runs it.

The app holds little: the shared context, the journey runner (a worker that awaits each step
screen in order), and app-wide bindings. Cloud work happens in the screens' thread workers, through
`wizard.engine` and `checks`; nothing here imports an SDK.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import App
from textual.binding import Binding

from .context import AppContext, StepResult
from .messages import ServicesFailed, ServicesReady

BOOT_DELAY_S = 0.2
Boot = Callable[[], tuple[Any, str]]
"""Builds Services off the UI thread; returns (services, note). Used by `xwiz --sandbox`."""


def _xwiz_commands() -> type:
    """The palette provider, imported when the palette first opens (textual.command costs ~30 ms)."""
    from .commands import XwizCommands

    return XwizCommands


class XwizApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "xwiz"
    SUB_TITLE = "keyless auth between AWS and Google Cloud"
    COMMANDS = App.COMMANDS | {lambda: _xwiz_commands()}
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Keys and journeys", id="help"),
        Binding("ctrl+t", "toggle_theme", "Theme", tooltip="Light or dark", id="toggle-theme"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, services: Any = None, spec: Any = None, *, base_dir: str | Path | None = None,
                 boot: Boot | None = None, check_source: Any = None, cursor_blink: bool = True,
                 on_exit: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.context = AppContext(services, spec, Path(base_dir or Path.cwd()))
        self.boot = boot
        self.cursor_blink = cursor_blink
        self.check_source = check_source
        self._on_exit = on_exit
        self.theme = "textual-dark"

    # -- capabilities that depend on what is in this build --------------------------------------
    @property
    def doctor_available(self) -> bool:
        return self.check_source is not None or importlib.util.find_spec("checks.runner") is not None

    @property
    def onboarding_available(self) -> bool:
        return importlib.util.find_spec("wizard.engine.onboarding") is not None

    # -- start-up -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from .wizard.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen())
        if self.context.services is None and self.boot is not None:
            self.context.boot_note = "Starting the sandbox (emulated Google Cloud and AWS on 127.0.0.1)…"
            # First paint first: the boot imports moto and boto3 (~1 s of CPU under the GIL), which would
            # otherwise hold up the frame being written to the terminal.
            self.call_after_refresh(lambda: self.set_timer(BOOT_DELAY_S, self.start_services))

    @work(thread=True, exclusive=True, exit_on_error=False, group="boot")
    def start_services(self) -> None:
        try:
            services, note = self.boot()  # type: ignore[misc]
        except Exception as e:
            from .context import one_line

            self.post_message(ServicesFailed(one_line(e)))
            return
        self.post_message(ServicesReady(services, note))

    @on(ServicesReady)
    def _services_ready(self, message: ServicesReady) -> None:
        from .context import Detected
        from .wizard.welcome import WelcomeScreen

        self.context.services = message.services
        self.context.detected = Detected()
        self.context.boot_note = message.note
        for screen in self.screen_stack:
            if isinstance(screen, WelcomeScreen):
                screen.services_ready()

    @on(ServicesFailed)
    def _services_failed(self, message: ServicesFailed) -> None:
        self.context.boot_note = f"Could not start: {message.error}"
        self.notify(message.error, title="Could not start", severity="error", timeout=10)

    def cleanup(self) -> None:
        """Stop what the app started (an in-process sandbox); `run_tui` calls it after the app exits."""
        if self._on_exit is not None:
            hook, self._on_exit = self._on_exit, None
            hook()

    # -- journeys ------------------------------------------------------------------------------
    def choose(self, key: str) -> None:
        """Open a journey, the doctor, onboarding, or the sandbox (from the welcome screen or the palette)."""
        if self.context.services is None:
            self.notify("Still starting: one moment.", severity="warning")
            return
        if key == "doctor":
            self.open_doctor()
        elif key == "onboard":
            self.run_onboarding()
        elif key == "sandbox":
            self.start_sandbox()
        else:
            self.run_journey(key)

    @work(exclusive=True, group="journey")
    async def run_journey(self, key: str) -> None:
        """Await each step in order, folding results into the draft; Back is a dismissal."""
        from .wizard.apply import ApplyScreen
        from .wizard.journeys import JOURNEYS
        from .wizard.review import ReviewScreen
        from wizard.model.spec import SPEC_FILE

        journey = JOURNEYS[key]
        draft = journey.initial_draft(self.context.spec)
        total = len(journey.steps) + 2
        index = 0
        while index <= len(journey.steps):
            position = (index + 1, total)
            if index < len(journey.steps):
                screen = journey.steps[index](draft, journey.title, position)
            else:
                screen = ReviewScreen(draft, journey.title, position, build_spec=journey.build_spec)
            result: StepResult = await self.push_screen_wait(screen)
            if result.back:
                if index == 0:
                    return
                index -= 1
                continue
            draft = result.draft
            index += 1
        spec_path = draft.get("_spec_path")
        if spec_path is None or Path(spec_path).name == SPEC_FILE:
            self.context.spec = draft.get("_spec")  # the merged ./xwiz.toml: what onboarding and the next journey start from
        after = await self.push_screen_wait(ApplyScreen(draft.get("_spec"), draft.get("_plan"), draft.get("_planner"),
                                                        spec_path))
        if after == "doctor":
            self.open_doctor()

    @work(exclusive=True, group="journey")
    async def run_onboarding(self) -> None:
        """Onboard AWS accounts: its steps awaited in order, like a setup journey."""
        from .onboard.journey import onboard_journey

        await onboard_journey(self)

    def open_doctor(self) -> None:
        from .doctor.screen import DoctorScreen

        self.push_screen(DoctorScreen())

    def start_sandbox(self) -> None:
        """Neither cloud answered: switch this session to an in-process sandbox."""
        self.boot = sandbox_boot(self)
        self.context.services = None
        self.context.boot_note = "Starting the sandbox (emulated Google Cloud and AWS on 127.0.0.1)…"
        from .wizard.welcome import WelcomeScreen

        for screen in self.screen_stack:
            if isinstance(screen, WelcomeScreen):
                screen._render_identity()
        self.start_services()

    # -- app-wide actions ----------------------------------------------------------------------------
    def action_help(self) -> None:
        from .dialogs.help import HelpScreen

        if not any(isinstance(s, HelpScreen) for s in self.screen_stack):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def sandbox_boot(app: XwizApp | None = None, directory: str | None = None) -> Boot:
    """A Boot that starts an in-process sandbox; the app stops it on exit."""

    def boot() -> tuple[Any, str]:
        from wizard.cloud.endpoints import Endpoints
        from wizard.sandbox import Sandbox
        from wizard.services import Services

        sandbox = Sandbox.start(directory=directory)
        if app is not None:
            previous = app._on_exit

            def stop() -> None:
                sandbox.stop()
                if previous is not None:
                    previous()

            app._on_exit = stop
        return Services(Endpoints.from_sandbox(sandbox.endpoints)), "Sandbox running."

    return boot


def make_app(services: Any = None, spec: Any = None, **kwargs: Any) -> XwizApp:
    """The app for these services and (optionally) a loaded xwiz.toml. Tests pass sandbox-backed services."""
    return XwizApp(services, spec, **kwargs)


def run_tui(*, sandbox: bool = False, sandbox_dir: str | None = None, spec_file: str | None = None) -> int:
    """`xwiz` with no subcommand. Services are real (or $XWIZ_SANDBOX) unless `sandbox` is set."""
    spec = None
    path = Path(spec_file or "xwiz.toml")
    if path.exists():
        from wizard.model.spec import load_spec

        spec = load_spec(path)
    app = XwizApp(None, spec, base_dir=path.parent if spec_file else Path.cwd())
    if sandbox:
        app.boot = sandbox_boot(app, sandbox_dir)
    else:
        from wizard.services import Services

        app.boot = lambda: (Services.resolve(), "")
    try:
        app.run()
    finally:
        app.cleanup()
    return 0
