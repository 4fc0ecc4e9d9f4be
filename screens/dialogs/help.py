"""The help screen: what xwiz does, the journeys, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# xwiz help

xwiz sets up **keyless** authentication between AWS and Google Cloud, and diagnoses it when it
breaks. Nothing changes in either cloud until you confirm the plan on the review screen.

## Journeys
- **AWS role → Google Cloud**: a workload pool, an AWS provider whose condition admits your roles,
  a service account binding, and a credential configuration file.
- **EKS pod → Google Cloud**: the same with an OIDC provider for the cluster's issuer.
- **Google Cloud → AWS**: an IAM role that trusts the service account's Google ID tokens.
- **Doctor**: runs every step of the token exchange live and names what fails and the fix.

## Keys
| key | does |
|---|---|
| `Enter` / `Tab` | next field |
| `Ctrl+N` | next step (when every field is valid) |
| `Escape` | back one step (nothing is lost) |
| `Ctrl+P` | command palette |
| `Ctrl+T` | light / dark theme |
| `F1` | this help |
| `Ctrl+Q` | quit |

The mouse works everywhere: click a field, a suggestion, a button.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    async def action_dismiss(self, result=None) -> None:  # type: ignore[override]
        self.dismiss(None)
