from __future__ import annotations

from checks import mapping_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.subject_length", "Check that google.subject fits in 127 bytes",
       requires=("eks_to_gcp.attribute_mapping",), timeout_s=5, causes=("subject-too-long",))
def subject_length(ctx: Context) -> Outcome:
    """What it checks: the mapped google.subject is at most 127 bytes.

    Why it fails: long namespace and service account names in a concatenating mapping (M26).

    How to fix: map google.subject=assertion.sub.
    """
    return mapping_steps.subject_length(ctx, "eks_to_gcp", {"google.subject": "assertion.sub"})
