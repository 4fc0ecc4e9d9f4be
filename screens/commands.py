"""Command palette entries (Ctrl+P): journeys, doctor, theme, help — namespaced as posting does."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ENTRIES = (
    ("journey: AWS role → Google Cloud", "Set up an IAM role to use Google Cloud", "choose", "aws-to-gcp"),
    ("journey: EKS pod → Google Cloud", "Set up Kubernetes service accounts to use Google Cloud", "choose", "eks-to-gcp"),
    ("journey: Google Cloud → AWS", "Set up a service account to assume an AWS role", "choose", "gcp-to-aws"),
    ("journey: onboard AWS accounts", "Add AWS accounts to an existing pool", "choose", "onboard"),
    ("doctor: run the checks", "Run every step of the exchange live", "choose", "doctor"),
    ("view: toggle light / dark theme", "Switch between the light and dark themes", "toggle_theme", None),
    ("view: help", "Keys, journeys and what xwiz does", "help", None),
)


class XwizCommands(Provider):
    def _entries(self):
        app = self.app
        for title, help_text, action, arg in ENTRIES:
            if action == "choose":
                callback = partial(app.choose, arg)  # type: ignore[attr-defined]
            else:
                callback = getattr(app, f"action_{action}")
            yield title, help_text, callback

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
