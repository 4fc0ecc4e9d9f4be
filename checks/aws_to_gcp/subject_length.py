from __future__ import annotations

from checks import mapping_steps
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import cel


@check("aws_to_gcp.subject_length", "Check that google.subject fits in 127 bytes",
       requires=("aws_to_gcp.attribute_mapping",), timeout_s=5, causes=("subject-too-long",))
def subject_length(ctx: Context) -> Outcome:
    """What it checks: the mapped google.subject is at most 127 bytes (bytes, not characters).

    Why it fails: long role and session names, or a mapping that concatenates claims: 'The size of mapped
    attribute exceeds the 127 bytes limit' (M26).

    How to fix: map google.subject to something shorter — the default AWS mapping, or the role ARN
    without the session name.
    """
    caller = ctx.need("aws_to_gcp:caller")
    default_subject = caller["Arn"]
    shorter = dict(cel.DEFAULT_AWS_MAPPING)
    if cel.subject_too_long(default_subject):
        shorter["google.subject"] = cel.DEFAULT_AWS_MAPPING["attribute.aws_role"]
    return mapping_steps.subject_length(ctx, "aws_to_gcp", shorter)
