from __future__ import annotations

from checks.context import Context
from checks.lint_config import lint_outcome
from checks.spec import Outcome, check


@check("eks_to_gcp.credential_config", "Lint the credential configuration against gcloud's template",
       timeout_s=5, causes=("cred-config-invalid", "audience-malformed", "project-id-not-number"))
def credential_config(ctx: Context) -> Outcome:
    """What it checks: the file-sourced external_account configuration (subject_token_type jwt,
    credential_source.file and format) against what `gcloud … create-cred-config
    --credential-source-file=PATH --credential-source-type=text` writes.

    Why it fails: a hand-edited or stale file (M33), a malformed audience (M05/M06).

    How to fix: regenerate the file.
    """
    return lint_outcome(ctx, "eks_to_gcp")
