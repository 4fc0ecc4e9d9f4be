"""After apply: run the workload's real token exchange when its credentials are at hand, and the
written AWS profile of each `[[gcp_to_aws]]` entry.

"At hand" means: on the sandbox, its EC2 instance role is one of the entry's roles (the written
configuration points at the sandbox's IMDS) or its EKS token belongs to one of the entry's
Kubernetes service accounts; on the real clouds, boto3's credential chain here *is* one of the
entry's roles (an assumed-role session). Otherwise verification is skipped with the reason and the
`xwiz doctor --cred-config` command to run on the workload.

A fresh `roles/iam.workloadIdentityUser` binding is refused with 403 `iam.serviceAccounts.getAccessToken`
until IAM has propagated it — "typically 2 minutes, could potentially take 7 minutes or longer"
(cloud-facts M09) — so that answer is retried with backoff for up to `wait_s`, with progress that
says so. Nothing here prints a token: the outcome carries its length and expiry only.

Google Cloud → AWS, on the sandbox: a fresh boto3 session with the written profile (AWS_CONFIG_FILE
as written) calls GetCallerIdentity, so the profile's credential_process (`xwiz aws-credentials`)
really runs: ID token, AssumeRoleWithWebIdentity, then the assumed-role ARN is shown (never keys).
A fresh OpenID Token Creator grant is waited for like the binding above. On the real clouds the
outcome is the command to run where the profile will be used.
"""

from __future__ import annotations

import json
import shlex
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from wizard.model.errors import CloudError, PermissionDeniedError, TransientError, XwizError
from wizard.model.identifiers import assumed_role_arn

PROPAGATION_WAIT_S = 7 * 60
GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"
GET_OPEN_ID_TOKEN = "iam.serviceAccounts.getOpenIdToken"


@dataclass(frozen=True)
class VerifyOutcome:
    provider: str
    status: str  # "ok" | "skipped" | "failed"
    message: str
    command: str | None = None
    """What to run on the workload instead (skipped or failed)."""

    def lines(self) -> list[str]:
        mark = {"ok": "✓", "skipped": "-", "failed": "✗"}[self.status]
        out = [f"{mark} verify {self.provider}: {self.message}"]
        if self.command:
            out.append(f"    on the workload: {self.command}")
        return out


@dataclass(frozen=True)
class _Target:
    provider: str
    config_path: Path
    how: dict[str, Any]
    """Keyword arguments for `wizard.cloud.workload_exchange.exchange_config`."""


def doctor_command(path: Path) -> str:
    return f"xwiz doctor --cred-config /path/to/{path.name}"


def verify_after_apply(services: Any, planner: Any, on_progress: Callable[[str], None] | None = None, *,
                       wait_s: float = PROPAGATION_WAIT_S, sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> list[VerifyOutcome]:
    """One outcome per aws_to_gcp / eks_to_gcp / gcp_to_aws entry, in spec order; all run concurrently."""
    progress = on_progress or (lambda line: None)
    spec = planner.spec
    outcomes: dict[int, VerifyOutcome] = {}
    targets: dict[int, _Target] = {}
    entries = [*spec.aws_to_gcp, *spec.eks_to_gcp]
    identity = _LazyIdentity(services)
    for index, entry in enumerate(entries):
        path = planner._path(entry.credential_config)
        if not path.exists():
            outcomes[index] = VerifyOutcome(entry.provider, "skipped", f"{path} was not written",
                                            doctor_command(path))
            continue
        how, why_not = (_aws_source(services, entry, identity) if entry in spec.aws_to_gcp
                        else _eks_source(services, entry))
        if how is None:
            outcomes[index] = VerifyOutcome(entry.provider, "skipped", why_not, doctor_command(path))
        else:
            targets[index] = _Target(entry.provider, path, how)
    jobs: dict[int, Callable[[], VerifyOutcome]] = {
        i: (lambda t=t: _exchange_with_patience(t, progress, wait_s, sleep, clock)) for i, t in targets.items()}
    for index, g2a in enumerate(spec.gcp_to_aws, start=len(entries)):
        outcome = _profile_not_checked(services, g2a)
        if outcome is not None:
            outcomes[index] = outcome
        else:
            jobs[index] = lambda e=g2a: _profile_with_patience(e, progress, wait_s, sleep, clock)
    if jobs:
        with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="xwiz-verify") as pool:
            futures = {i: pool.submit(job) for i, job in jobs.items()}
            outcomes.update({i: f.result() for i, f in futures.items()})
    return [outcomes[i] for i in sorted(outcomes)]


# -- Google Cloud → AWS: the written profile ------------------------------------------------------


def g2a_label(entry: Any) -> str:
    return f"{entry.role_name} (profile {entry.profile})" if entry.profile else entry.role_name


def g2a_doctor_command(entry: Any) -> str:
    return (f"xwiz doctor --role-arn {entry.role_arn} --service-account {entry.service_account} "
            f"--audience {shlex.quote(entry.audience)}")


def profile_command(profile: str) -> str:
    return f"AWS_PROFILE={shlex.quote(profile)} aws sts get-caller-identity"


def _profile_not_checked(services: Any, entry: Any) -> VerifyOutcome | None:
    if not entry.profile:
        return VerifyOutcome(g2a_label(entry), "skipped", "no AWS profile was written for it (set profile = … in "
                             "its [[gcp_to_aws]] entry to have one)", g2a_doctor_command(entry))
    if not services.endpoints.is_sandbox:
        return VerifyOutcome(g2a_label(entry), "skipped", "the profile is meant for the machine that uses it: "
                             "check it there", profile_command(entry.profile))
    return None


def _profile_with_patience(entry: Any, progress: Callable[[str], None], wait_s: float,
                           sleep: Callable[[float], None], clock: Callable[[], float]) -> VerifyOutcome:
    from wizard.cloud.aws import profile_caller_identity
    from wizard.runtime import aws_config

    label = g2a_label(entry)
    config_file = str(aws_config.config_path())
    start = clock()
    delay = 1.0
    waited_for_iam = False
    while True:
        try:
            identity = profile_caller_identity(entry.profile, config_file)
        except CloudError as e:
            # the credential_process's one line: a fresh OpenID Token Creator grant not propagated yet
            if GET_OPEN_ID_TOKEN not in e.message and not isinstance(e, TransientError):
                return VerifyOutcome(label, "failed", f"the profile gives no credentials: {_one_line(e.message)}",
                                     g2a_doctor_command(entry))
            waited_for_iam = waited_for_iam or GET_OPEN_ID_TOKEN in e.message
            elapsed = clock() - start
            if elapsed + delay > wait_s:
                return VerifyOutcome(label, "failed", f"the profile gives no credentials after {elapsed:.0f} s: "
                                     f"{_one_line(e.message)}", g2a_doctor_command(entry))
            why = ("waiting for IAM propagation of the OpenID Token Creator grant" if waited_for_iam
                   else f"transient error ({e.message[:80]})")
            progress(f"  verify {label}: {why} — {elapsed:.0f} s so far; retrying in {delay:.0f} s")
            sleep(delay)
            delay = min(delay * 1.5, 15.0)
            continue
        took = clock() - start
        extra = f" after waiting {took:.0f} s for IAM propagation" if waited_for_iam else ""
        return VerifyOutcome(label, "ok", f"the AWS profile works{extra}: {profile_command(entry.profile)} is "
                             f"{identity['Arn']} (written to {config_file})")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]


class _LazyIdentity:
    """boto3's caller identity here, asked at most once (real clouds only)."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self._done = False
        self.arn: str | None = None
        self.error: str | None = None

    def get(self) -> tuple[str | None, str | None]:
        if not self._done:
            self._done = True
            try:
                self.arn = self.services.aws.caller_identity()["Arn"]
            except XwizError as e:
                self.error = str(e)
        return self.arn, self.error


def _aws_source(services: Any, entry: Any, identity: _LazyIdentity) -> tuple[dict | None, str]:
    ep = services.endpoints
    if ep.is_sandbox:
        aws = ep.sandbox["aws"]
        role = aws.get("instance_role")
        account = aws["accounts"]["workload"]
        if entry.account_id == account and any(r.role_name == role for r in entry.roles):
            return {"aws_source": "config"}, ""
        return None, (f"no workload credentials here: the sandbox's EC2 instance role is {role} in {account}, "
                      f"not one of this entry's roles")
    arn, error = identity.get()
    if arn is None:
        return None, f"no AWS credentials here to act as the workload ({error})"
    try:
        session_role = assumed_role_arn(arn)
    except XwizError:
        session_role = None
    if session_role is not None and arn.split(":")[2] == "sts" and any(r.arn == session_role.arn for r in entry.roles):
        return {"aws_source": "boto", "aws_profile": services.aws_profile}, ""
    return None, f"the AWS identity here ({arn}) is not one of this entry's roles"


def _eks_source(services: Any, entry: Any) -> tuple[dict | None, str]:
    ep = services.endpoints
    if not ep.is_sandbox:
        return None, "the Kubernetes service account token exists only inside the pod"
    eks = ep.sandbox["aws"]["eks"]
    subjects = {f"system:serviceaccount:{k.namespace}:{k.name}" for k in entry.kubernetes_service_accounts}
    same_cluster = (entry.cluster == eks["cluster"]) if entry.cluster else entry.issuer == eks["issuer"]
    if same_cluster and eks["kubernetes_service_account"] in subjects:
        return {"token_file": eks["token_file"]}, ""
    return None, (f"no pod token here: the sandbox's EKS token is for {eks['kubernetes_service_account']} "
                  f"in cluster {eks['cluster']}")


def _exchange_with_patience(target: _Target, progress: Callable[[str], None], wait_s: float,
                            sleep: Callable[[float], None], clock: Callable[[], float]) -> VerifyOutcome:
    from wizard.cloud.workload_exchange import exchange_config

    config = json.loads(target.config_path.read_text())
    start = clock()
    delay = 1.0
    waited_for_iam = False
    while True:
        try:
            facts = exchange_config(config, **target.how)
        except PermissionDeniedError as e:
            if GET_ACCESS_TOKEN not in (e.permission or e.message):
                return _failed(target, e)
            waited_for_iam = True
            retry = e
        except TransientError as e:
            retry = e
        except CloudError as e:
            return _failed(target, e)
        else:
            took = clock() - start
            extra = f" after waiting {took:.0f} s for IAM propagation" if waited_for_iam else ""
            return VerifyOutcome(target.provider, "ok",
                                 f"the workload's exchange works{extra}: got a service-account access token "
                                 f"({facts.length} characters, expires {facts.expiry or 'unknown'})")
        elapsed = clock() - start
        if elapsed + delay > wait_s:
            if waited_for_iam:
                return VerifyOutcome(
                    target.provider, "failed",
                    f"still 403 {GET_ACCESS_TOKEN} after {elapsed:.0f} s: either IAM has not propagated the binding "
                    f"yet (it can take 7 minutes or longer) or the binding does not match the workload",
                    doctor_command(target.config_path))
            return _failed(target, retry)
        if waited_for_iam and isinstance(retry, PermissionDeniedError):
            progress(f"  verify {target.provider}: waiting for IAM propagation of the new binding — "
                     f"{elapsed:.0f} s so far (Google documents up to {wait_s / 60:.0f} min); retrying in {delay:.0f} s")
        else:
            progress(f"  verify {target.provider}: transient error ({retry.message[:80]}); retrying in {delay:.0f} s")
        sleep(delay)
        delay = min(delay * 1.5, 15.0)


def _failed(target: _Target, error: CloudError) -> VerifyOutcome:
    return VerifyOutcome(target.provider, "failed", f"the exchange failed: {error.message}",
                         doctor_command(target.config_path))
