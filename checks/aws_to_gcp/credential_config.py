from __future__ import annotations

from checks.context import Context
from checks.lint_config import lint_outcome
from checks.spec import Outcome, check


@check("aws_to_gcp.credential_config", "Lint the credential configuration against gcloud's template",
       timeout_s=5, causes=("cred-config-invalid", "audience-malformed", "project-id-not-number",
                            "cred-config-imdsv2-missing"))
def credential_config(ctx: Context) -> Outcome:
    """What it checks: the external_account file the workload loads, compared with what
    `gcloud iam workload-identity-pools create-cred-config --aws --enable-imdsv2` (or `xwiz apply`)
    writes for this provider: the audience's form and project number, token_url, the impersonation URL,
    the instance metadata URLs, imdsv2_session_token_url, stray keys.

    Why it fails: a hand-edited or stale file (M33), an https:// or pool-only audience (M05), a project ID
    in the audience (M06), a workforce-only key (M34); without IMDSv2 it only warns (M13).

    How to fix: regenerate the file (the remediation shows the command).
    """
    return lint_outcome(ctx, "aws_to_gcp")
