"""Step (EKS pod → Google Cloud): the cluster, its Kubernetes service accounts and the provider."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.model import identifiers as ids
from wizard.model.errors import InputError, XwizError

from ..context import one_line
from ..messages import SuggestionsReady
from ..widgets.field import Field
from ..widgets.suggestions import Suggestions
from .base import StepScreen, split_list


def kubernetes_accounts(text: str) -> tuple[ids.KubernetesServiceAccount, ...]:
    names = split_list(text)
    if not names:
        raise InputError(None, "no service account yet", "NAMESPACE/NAME, e.g. apps/billing")
    return tuple(ids.kubernetes_service_account(n) for n in names)


def audiences(text: str) -> tuple[str, ...]:
    values = split_list(text)
    if not values:
        raise InputError(None, "is empty", "sts.amazonaws.com (what EKS projects by default)")
    return tuple(ids.oidc_audience(v) for v in values)


def _namespace_name(subject: str) -> str:
    """`system:serviceaccount:apps:billing` (a token's sub) → `apps/billing` (what the spec takes)."""
    prefix = "system:serviceaccount:"
    if subject.startswith(prefix) and subject.count(":") == 3:
        return "/".join(subject[len(prefix):].split(":"))
    return subject


class EksStep(StepScreen):
    TITLE_TEXT = "EKS cluster and Kubernetes service accounts"
    WHY = ("Pods present the token EKS projects for their Kubernetes service account. Google trusts the "
           "cluster's OIDC issuer (read from eks:DescribeCluster) and maps google.subject to "
           "system:serviceaccount:NAMESPACE:NAME.")

    def fields(self) -> ComposeResult:
        eks = (self.ctx.sandbox_endpoints or {}).get("aws", {}).get("eks", {})
        region = self.draft.get("region") or self.ctx.services.endpoints.aws.region or "us-east-1"
        yield Field("Cluster", ids.eks_cluster_name, id="cluster", value=self.draft.get("cluster") or "")
        yield Suggestions(id="cluster-suggestions")
        yield Static("", id="cluster-note", classes="note", markup=False)
        yield Field("Region", ids.aws_region, id="region", value=region)
        yield Field("Provider ID", ids.provider_id, id="provider", value=self.draft.get("provider") or "")
        yield Field("Kubernetes accounts", kubernetes_accounts, id="ksa",
                    value=" ".join(self.draft.get("kubernetes_service_accounts") or ())
                    or _namespace_name(eks.get("kubernetes_service_account", "")),
                    placeholder="apps/billing", hint="NAMESPACE/NAME, comma-separated")
        yield Field("Allowed audiences", audiences, id="audiences",
                    value=" ".join(self.draft.get("allowed_audiences") or ("sts.amazonaws.com",)))

    def load_suggestions(self) -> None:
        region = self.query_one("#region", Field).value
        self.list_clusters(region)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest-clusters")
    def list_clusters(self, region: str | None) -> None:
        try:
            names = tuple(self.ctx.services.aws.list_clusters(region))
        except XwizError as e:
            self.post_message(SuggestionsReady("clusters", (), f"Could not list clusters: {one_line(e)}"))
            return
        self.post_message(SuggestionsReady("clusters", names, f"Clusters in {region}:" if names else "No clusters found."))

    @on(SuggestionsReady)
    def _suggestions(self, message: SuggestionsReady) -> None:
        if message.kind == "clusters":
            self.query_one("#cluster-suggestions", Suggestions).show_values(message.values)
            self.query_one("#cluster-note", Static).update(message.note)
            cluster = self.query_one("#cluster", Field)
            if not cluster.text and len(message.values) == 1:
                cluster.set_text(message.values[0])

    @on(Suggestions.Picked, "#cluster-suggestions")
    def _picked(self, message: Suggestions.Picked) -> None:
        self.query_one("#cluster", Field).set_text(message.value)

    def field_changed(self, field: Field) -> None:
        provider = self.query_one("#provider", Field)
        if field.id == "cluster" and field.value and (not provider.text or provider.text.startswith("eks-")):
            provider.set_text(f"eks-{field.value}"[:32].rstrip("-"))

    def collect(self) -> dict:
        return {"cluster": self.query_one("#cluster", Field).value,
                "region": self.query_one("#region", Field).value,
                "provider": self.query_one("#provider", Field).value,
                "kubernetes_service_accounts": split_list(self.query_one("#ksa", Field).text),
                "allowed_audiences": list(self.query_one("#audiences", Field).value)}
