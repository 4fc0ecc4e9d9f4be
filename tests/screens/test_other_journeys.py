"""EKS pod → Google Cloud and Google Cloud → AWS, end to end on the sandbox, each checked afterwards
with the real client: google-auth with the pod's projected token, boto3 with the written profile."""

from __future__ import annotations

import json

from textual.widgets import Button

from screens.wizard.apply import ApplyScreen
from screens.wizard.review import ReviewScreen

from .conftest import screen_text, wait_for


async def _through_review_and_apply(app, pilot):
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
    await wait_for(pilot, lambda: app.screen.plan is not None or app.screen.error, what="the plan")
    assert app.screen.error is None, app.screen.error
    assert not app.screen.query_one("#next", Button).disabled, screen_text(app)
    await pilot.press("ctrl+n")
    await pilot.pause()
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
    await wait_for(pilot, lambda: app.screen.finished, timeout=90, what="apply to finish")
    assert app.screen.result.ok, app.screen.result.failed


async def test_eks_journey_lets_the_pod_token_reach_google(make, workdir, sandbox):
    from screens.wizard.eks_step import EksStep
    from screens.wizard.google_step import GoogleStep
    from screens.wizard.service_account_step import ServiceAccountStep

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="Google step")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, EksStep), what="EKS step")
        # The sandbox's one cluster is picked from the listing; the provider follows its name.
        await wait_for(pilot, lambda: app.screen.query_one("#cluster").text == "xwiz-demo", what="cluster default")
        assert app.screen.query_one("#provider").text == "eks-xwiz-demo"
        assert app.screen.query_one("#ksa").text == "apps/billing"
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ServiceAccountStep), what="service account step")
        await pilot.press("ctrl+n")
        await _through_review_and_apply(app, pilot)
        assert "./credentials-eks-xwiz-demo.json" in screen_text(app)

    import google.auth.identity_pool
    from google.auth.transport.requests import Request

    config = json.loads((workdir / "credentials-eks-xwiz-demo.json").read_text())
    config["credential_source"]["file"] = sandbox.endpoints["aws"]["eks"]["token_file"]  # where the pod's token is
    creds = google.auth.identity_pool.Credentials.from_info(
        config, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    creds.refresh(Request())
    assert creds.token


async def test_gcp_to_aws_journey_writes_a_role_the_service_account_can_assume(make, workdir, sandbox, services):
    from screens.wizard.gcp_to_aws_step import GcpToAwsStep
    from screens.wizard.google_step import ProjectStep

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectStep), what="project step")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, GcpToAwsStep), what="Google Cloud → AWS step")
        assert app.screen.query_one("#service-account").text == "gce-workload@xwiz-sandbox.iam.gserviceaccount.com"
        await pilot.press("ctrl+n")
        await _through_review_and_apply(app, pilot)

    # The role trusts the service account's Google ID token: take one as the workload would (from the
    # sandbox's GCE metadata server, whose default account this is) and assume the role with boto3.
    from wizard.model.spec import load_spec

    entry = load_spec(workdir / "xwiz.toml").gcp_to_aws[0]
    token = sandbox.mint_google_id_token(entry.service_account, entry.audience)
    out = services.aws.assume_role_with_web_identity(entry.role_arn, token, "tui-test")
    assert out["AssumedRoleUser"]["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/gcp-workload/")
