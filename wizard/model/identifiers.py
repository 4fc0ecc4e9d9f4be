"""Identifiers and validators: each returns the normalised value or raises `InputError` with the expected form.

The TUI's inputs, the CLI's flags and the spec loader all call these, so a value is judged the same
way everywhere. Every validator accepts any object (a TOML integer, None, …) and raises only
`InputError` — the fuzz test holds them to that. `field` names the flag or spec field in the message;
the spec loader re-places errors with file and line (`InputError.located`).

Rules come from the services' own texts: pool/provider IDs and service account IDs from disc:iam.v1
(cloud-facts §2.4, §1.4), project IDs from disc:cloudresourcemanager.v1, role names and session ARNs
from IAM/STS (cloud-facts §1.7, M02, M03).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard.model.errors import InputError, show

# Longest value any validator looks at; longer input is rejected before any regex runs.
_MAX_INPUT = 2048

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
GOOGLE_SERVICE_ACCOUNT_DOMAIN = "iam.gserviceaccount.com"
DEFAULT_EKS_TOKEN_PATH = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"

_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_ACCOUNT_ID_DASHED = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}")
_WIF_ID = re.compile(r"[a-z0-9-]{4,32}")
_PROJECT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
_PROJECT_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_SA_ACCOUNT_ID = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])")
_DOMAIN_SUFFIX = re.compile(r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+")
# AWS's `\w` is ASCII word characters (IAM API reference, RoleName pattern `[\w+=,.@-]+`).
_ROLE_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")
_ROLE_PATH_SEGMENT = re.compile(r"[\x21-\x2e\x30-\x7e]+")  # printable ASCII except '/'
_SESSION_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{2,64}")
_REGION = re.compile(r"[a-z]{2}(-(gov|iso[a-z]?))?-(central|north|south|east|west|northeast|northwest"
                     r"|southeast|southwest)-[0-9]{1,2}")
_K8S_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_K8S_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_EKS_ISSUER = re.compile(r"https://oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/[0-9A-F]{8,64}")
_POLICY_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(aws|[0-9]{12}):policy/"
                         r"([\x21-\x2e\x30-\x7e]+/)*[A-Za-z0-9_+=,.@-]{1,128}")
_GCP_ROLE = re.compile(r"roles/[A-Za-z0-9_.]{1,100}"
                       r"|(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]|organizations/[0-9]{1,19})/roles/[A-Za-z0-9_.]{3,64}")
_PROFILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _text(value: object, field: str, expected: str, *, max_len: int = _MAX_INPUT) -> str:
    """The stripped string, or an InputError when the value is not a non-empty string."""
    if isinstance(value, bool) or not isinstance(value, str):
        kind = "true/false" if isinstance(value, bool) else type(value).__name__
        raise InputError(field, f"{show(value)} is a {kind}, not a string", expected)
    text = value.strip()
    if not text:
        raise InputError(field, "is empty", expected)
    if len(text) > max_len:
        raise InputError(field, f"is {len(text)} characters long", expected)
    return text


# --------------------------------------------------------------------------------------------- AWS
def aws_account_id(value: object, field: str = "account_id") -> str:
    """A 12-digit AWS account ID. `1111-2222-3333` (the console's display form) is accepted."""
    expected = "12 digits, e.g. 111122223333"
    if isinstance(value, int) and not isinstance(value, bool):
        # TOML integers drop leading zeros, so the account ID must be quoted.
        raise InputError(field, f"{value} is a number, not a quoted string", "a quoted string of " + expected)
    text = _text(value, field, expected, max_len=64)
    if _ACCOUNT_ID_DASHED.fullmatch(text):
        text = text.replace("-", "")
    if not _ACCOUNT_ID.fullmatch(text):
        raise InputError(field, f"{show(value)} is not an AWS account ID", expected)
    return text


def aws_role_name(value: object, field: str = "role_name") -> str:
    expected = "an IAM role name: 1-64 characters of letters, digits and +=,.@_-, e.g. app-role"
    text = _text(value, field, expected, max_len=256)
    if not _ROLE_NAME.fullmatch(text):
        if "/" in text:
            raise InputError(field, f"{show(value)} is not a role name (it has a '/')",
                             expected + " (give a path-qualified role as its ARN)")
        raise InputError(field, f"{show(value)} is not an IAM role name", expected)
    return text


def aws_partition(value: object, field: str = "partition") -> str:
    expected = "one of " + ", ".join(PARTITIONS)
    text = _text(value, field, expected, max_len=64)
    if text not in PARTITIONS:
        raise InputError(field, f"{show(value)} is not a supported AWS partition", expected)
    return text


def aws_region(value: object, field: str = "region") -> str:
    expected = "an AWS region, e.g. us-east-1"
    text = _text(value, field, expected, max_len=64)
    if not _REGION.fullmatch(text):
        hint = " (that is an availability zone)" if _REGION.fullmatch(text[:-1]) and text[-1].isalpha() else ""
        raise InputError(field, f"{show(value)} is not an AWS region{hint}", expected)
    return text


def iam_policy_arn(value: object, field: str = "policies") -> str:
    expected = "an IAM policy ARN, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess"
    text = _text(value, field, expected, max_len=2048)
    if not _POLICY_ARN.fullmatch(text):
        raise InputError(field, f"{show(value)} is not an IAM policy ARN", expected)
    return text


def aws_profile_name(value: object, field: str = "profile") -> str:
    expected = "an AWS CLI profile name of letters, digits and _.@+-, e.g. gcp-billing"
    text = _text(value, field, expected, max_len=64)
    if not _PROFILE.fullmatch(text):
        raise InputError(field, f"{show(value)} is not a usable AWS profile name", expected)
    return text


def aws_session_duration(value: object, field: str = "session_duration") -> int:
    """AssumeRoleWithWebIdentity `DurationSeconds`: 900-43200 (botocore STS model)."""
    return _int_range(value, field, 900, 43200, "seconds")


@dataclass(frozen=True)
class AssumedRole:
    """An IAM role as STS names its sessions: `arn:<partition>:sts::<account>:assumed-role/<role>`.

    This is what Google's default AWS mapping puts into `attribute.aws_role` (cloud-facts §2.1), so
    principals and conditions are built from it — never from a bare role name (M01), an IAM role
    ARN (M02) or a role path (M03). Construct it with `assumed_role_arn()`; the constructor checks
    each part too, so an invalid one cannot exist.
    """

    partition: str
    account: str
    role_name: str

    def __post_init__(self) -> None:
        aws_partition(self.partition)
        aws_account_id(self.account)
        aws_role_name(self.role_name)

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.role_name}"

    @property
    def session_prefix(self) -> str:
        """What every session ARN of this role starts with (for `startsWith` conditions)."""
        return self.arn + "/"

    @property
    def iam_role_arn(self) -> str:
        """The role's IAM ARN without its path (the path is not recoverable from a session ARN)."""
        return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"

    def __str__(self) -> str:
        return self.arn


_ROLE_FORMS = ("a role name (with account_id), arn:aws:iam::111122223333:role/[path/]NAME"
               " or arn:aws:sts::111122223333:assumed-role/NAME[/SESSION]")


def assumed_role_arn(value: object, account_id: str | None = None, partition: str | None = None,
                     field: str = "roles") -> AssumedRole:
    """Normalise any way of naming an IAM role to its `AssumedRole`.

    Accepts a bare role name (needs `account_id`; partition defaults to `aws`), an IAM role ARN with
    or without a path (the path is dropped: assumed-role ARNs carry only the name, M03), and an
    assumed-role ARN with or without a session name, in the partitions aws, aws-cn and aws-us-gov.
    When `account_id` (or `partition`) is given, an ARN must belong to it. IAM users, the root user,
    federated users and instance profiles are refused with what to use instead.
    """
    text = _text(value, field, _ROLE_FORMS)
    if account_id is not None:
        account_id = aws_account_id(account_id, "account_id")
    if partition is not None:
        partition = aws_partition(partition, "partition")

    if not text.startswith("arn:"):
        if not _ROLE_NAME.fullmatch(text):
            if "/" in text:
                raise InputError(field, f"{show(value)} is neither a role name nor an ARN",
                                 "a role name without a path, or the role's full ARN")
            raise InputError(field, f"{show(value)} is not an IAM role name", _ROLE_FORMS)
        if account_id is None:
            raise InputError(field, f"role name {show(text)} needs an AWS account ID",
                             "an account_id next to it, or the role's full ARN")
        return AssumedRole(partition or "aws", account_id, text)

    parts = text.split(":", 5)
    if len(parts) != 6:
        raise InputError(field, f"{show(value)} is not a valid ARN", _ROLE_FORMS)
    _, arn_partition, service, region, account, resource = parts
    if arn_partition not in PARTITIONS:
        raise InputError(field, f"{show(value)} has partition {show(arn_partition)}",
                         "partition aws, aws-cn or aws-us-gov")
    if service not in ("iam", "sts"):
        raise InputError(field, f"{show(value)} is not an IAM role ARN", _ROLE_FORMS)
    if partition is not None and arn_partition != partition:
        raise InputError(field, f"{show(value)} is in partition {arn_partition}, not {partition}", _ROLE_FORMS)
    if not _ACCOUNT_ID.fullmatch(account):
        raise InputError(field, f"{show(value)} has no 12-digit account ID", _ROLE_FORMS)
    if account_id is not None and account != account_id:
        raise InputError(field, f"{show(value)} belongs to account {account}, not {account_id}",
                         f"a role in account {account_id} (one provider per account)")
    if region:
        raise InputError(field, f"{show(value)} has a region; IAM and STS ARNs have none", _ROLE_FORMS)

    kind, _, rest = resource.partition("/")
    if service == "iam":
        if kind == "role" and rest:
            segments = rest.split("/")
            name = segments[-1]
            if not all(_ROLE_PATH_SEGMENT.fullmatch(s) for s in segments[:-1]):
                raise InputError(field, f"{show(value)} has an invalid role path", _ROLE_FORMS)
            if not _ROLE_NAME.fullmatch(name):
                raise InputError(field, f"{show(value)} ends in an invalid role name", _ROLE_FORMS)
            return AssumedRole(arn_partition, account, name)
        if kind == "user":
            raise InputError(field, f"{show(value)} is an IAM user, not a role",
                             "a role: workloads should assume a role instead of using a user's long-lived keys")
        if kind == "instance-profile":
            raise InputError(field, f"{show(value)} is an instance profile, not a role",
                             "the role inside it: aws iam get-instance-profile --instance-profile-name "
                             f"{rest.split('/')[-1] or 'NAME'} --query 'InstanceProfile.Roles[].Arn'")
        if resource == "root":
            raise InputError(field, f"{show(value)} is the account's root user, not a role", _ROLE_FORMS)
    elif service == "sts":
        if kind == "assumed-role" and rest:
            name, _, session = rest.partition("/")
            if not _ROLE_NAME.fullmatch(name):
                raise InputError(field, f"{show(value)} has an invalid role name", _ROLE_FORMS)
            if session and "/" in session:
                raise InputError(field, f"{show(value)} has a '/' in its session name", _ROLE_FORMS)
            return AssumedRole(arn_partition, account, name)
        if kind == "federated-user":
            raise InputError(field, f"{show(value)} is a federated user session, not a role", _ROLE_FORMS)
    raise InputError(field, f"{show(value)} is not an IAM role ARN", _ROLE_FORMS)


def is_instance_session(session_arn: str) -> bool:
    """True for an EC2 instance-profile session (`…/assumed-role/R/i-0abc…`): its subject changes per instance (M04)."""
    return bool(re.search(r"/i-[0-9a-f]{8,17}$", session_arn))


# ------------------------------------------------------------------------------------------ Google
def pool_id(value: object, field: str = "pool") -> str:
    """disc:iam.v1 workloadIdentityPoolId: "4-32 characters ... [a-z0-9-]. The prefix `gcp-` is reserved"."""
    return _wif_id(value, field, "workload identity pool ID")


def provider_id(value: object, field: str = "provider") -> str:
    """disc:iam.v1 workloadIdentityPoolProviderId: same rule as pools (no leading-letter rule is documented)."""
    return _wif_id(value, field, "workload identity pool provider ID")


def _wif_id(value: object, field: str, what: str) -> str:
    expected = "4-32 characters of a-z, 0-9 and -, not starting with gcp-, e.g. aws-prod"
    text = _text(value, field, expected, max_len=256)
    if not _WIF_ID.fullmatch(text):
        hint = " (use lowercase)" if _WIF_ID.fullmatch(text.lower()) else ""
        raise InputError(field, f"{show(value)} is not a valid {what}{hint}", expected)
    if text.startswith("gcp-"):
        raise InputError(field, f"{show(value)} starts with gcp-, which Google reserves", expected)
    return text


def project_id(value: object, field: str = "project") -> str:
    """disc:cloudresourcemanager.v1: "6 to 30 lowercase letters, digits, or hyphens. It must start with a letter.
    Trailing hyphens are prohibited." Domain-scoped IDs (`example.com:my-project`) are accepted as written."""
    expected = "a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter, e.g. my-project"
    text = _text(value, field, expected, max_len=256)
    domain, sep, local = text.rpartition(":")
    if _PROJECT_ID.fullmatch(local) and (not sep or _DOMAIN_SUFFIX.fullmatch("." + domain)):
        return text
    if _PROJECT_NUMBER.fullmatch(text):
        raise InputError(field, f"{show(value)} is a project number", expected)
    raise InputError(field, f"{show(value)} is not a valid project ID", expected)


def project_number(value: object, field: str = "project_number") -> str:
    expected = "the project NUMBER (digits), e.g. 123456789012"
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        value = str(value)
    text = _text(value, field, expected, max_len=64)
    if _PROJECT_NUMBER.fullmatch(text):
        return text
    if _is_project_id(text):
        raise InputError(field, f"{show(value)} is a project ID; Workload Identity Federation needs the project NUMBER",
                         f"digits: gcloud projects describe {text} --format='value(projectNumber)'")
    raise InputError(field, f"{show(value)} is not a project number", expected)


def _is_project_id(text: str) -> bool:
    try:
        project_id(text)
    except InputError:
        return False
    return True


def service_account_account_id(value: object, field: str = "account_id") -> str:
    """disc:iam.v1 CreateServiceAccountRequest.accountId: 6-30 characters matching `[a-z]([-a-z0-9]*[a-z0-9])`."""
    expected = "6-30 characters: a lowercase letter, then lowercase letters, digits or hyphens, not ending in a hyphen"
    text = _text(value, field, expected, max_len=256)
    if not (6 <= len(text) <= 30 and _SA_ACCOUNT_ID.fullmatch(text)):
        raise InputError(field, f"{show(value)} is not a valid service account ID", expected)
    return text


@dataclass(frozen=True)
class ServiceAccountRef:
    """A parsed service account email. `kind` is `user-managed`, `compute-default` or `appengine-default`."""

    email: str
    kind: str
    account_id: str
    project_id: str | None = None
    project_number: str | None = None


_SA_EXPECTED = "a service account email, e.g. my-app@my-project.iam.gserviceaccount.com"


def parse_service_account(value: object, field: str = "service_account") -> ServiceAccountRef:
    """Parse a service account email that a workload can impersonate.

    Accepted (lowercased, an optional `serviceAccount:` prefix dropped):
    * user-managed `ACCOUNT_ID@PROJECT_ID.iam.gserviceaccount.com` (ACCOUNT_ID per disc:iam.v1;
      a domain-scoped project `example.com:proj` appears as `proj.example.com` in the email);
    * the Compute Engine default `PROJECT_NUMBER-compute@developer.gserviceaccount.com`;
    * the App Engine default `PROJECT_ID@appspot.gserviceaccount.com`.
    Refused: Google's service agents (`service-N@gcp-sa-*.iam.gserviceaccount.com`,
    `N@cloudservices.gserviceaccount.com`, …) — they belong to Google services, not to workloads.
    """
    text = _text(value, field, _SA_EXPECTED, max_len=320).lower()
    if text.startswith("serviceaccount:"):
        text = text[len("serviceaccount:"):]
    local, at, domain = text.partition("@")
    if not at or not local or "@" in domain:
        raise InputError(field, f"{show(value)} is not an email address", _SA_EXPECTED)
    if domain == "developer.gserviceaccount.com":
        number, dash, rest = local.partition("-")
        if dash and rest == "compute" and _PROJECT_NUMBER.fullmatch(number):
            return ServiceAccountRef(text, "compute-default", local, project_number=number)
    elif domain == "appspot.gserviceaccount.com":
        if _is_project_id(local):
            return ServiceAccountRef(text, "appengine-default", local, project_id=local)
    elif domain.endswith("." + GOOGLE_SERVICE_ACCOUNT_DOMAIN):
        host = domain[: -len(GOOGLE_SERVICE_ACCOUNT_DOMAIN) - 1]
        if host.startswith("gcp-sa-") or local.startswith("service-"):
            raise InputError(field, f"{show(value)} is a Google-managed service agent", _SA_EXPECTED)
        project, dot, domain_part = host.partition(".")
        project_ref = f"{domain_part}:{project}" if dot else project
        if not _PROJECT_ID.fullmatch(project) or (dot and not _DOMAIN_SUFFIX.fullmatch("." + domain_part)):
            raise InputError(field, f"{show(value)} names an invalid project {show(host)}", _SA_EXPECTED)
        if not (6 <= len(local) <= 30 and _SA_ACCOUNT_ID.fullmatch(local)):
            raise InputError(field, f"{show(value)} has an invalid account ID {show(local)}",
                             "6-30 characters [a-z]([-a-z0-9]*[a-z0-9]) before the @")
        return ServiceAccountRef(text, "user-managed", local, project_id=project_ref)
    elif domain.endswith("gserviceaccount.com"):
        raise InputError(field, f"{show(value)} is a Google-managed service agent", _SA_EXPECTED)
    raise InputError(field, f"{show(value)} is not a service account email", _SA_EXPECTED)


def service_account_email(value: object, field: str = "service_account") -> str:
    return parse_service_account(value, field).email


def gcp_role(value: object, field: str = "grant_roles") -> str:
    expected = "a role name, e.g. roles/storage.objectViewer or projects/my-project/roles/custom"
    text = _text(value, field, expected, max_len=256)
    if not _GCP_ROLE.fullmatch(text):
        raise InputError(field, f"{show(value)} is not an IAM role name", expected)
    return text


def display_name(value: object, field: str = "display_name", max_chars: int = 32) -> str:
    """Pool and provider display names: "Cannot exceed 32 characters" (disc:iam.v1)."""
    expected = f"at most {max_chars} characters"
    text = _text(value, field, expected, max_len=_MAX_INPUT)
    if len(text) > max_chars or not text.isprintable():
        raise InputError(field, f"{show(value)} is too long or has control characters", expected)
    return text


def location(value: object, field: str = "location") -> str:
    """disc:iam.v1: "The only supported location is `global`"."""
    text = _text(value, field, "global", max_len=64)
    if text != "global":
        raise InputError(field, f"{show(value)} is not a workload identity pool location", "global")
    return text


# ------------------------------------------------------------------------------------- audience
IAM_HOST = "iam.googleapis.com"


@dataclass(frozen=True)
class ProviderName:
    """A workload identity pool provider, identified the way STS wants it: by project NUMBER."""

    project_number: str
    pool: str
    provider: str

    @property
    def resource(self) -> str:
        return (f"projects/{self.project_number}/locations/global/workloadIdentityPools/{self.pool}"
                f"/providers/{self.provider}")

    @property
    def audience(self) -> str:
        """The canonical STS audience: `//iam.googleapis.com/projects/N/locations/global/…/providers/Q`."""
        return f"//{IAM_HOST}/{self.resource}"

    @property
    def https_audience(self) -> str:
        """The form an OIDC token's `aud` may also take when allowedAudiences is empty (disc:iam.v1)."""
        return f"https://{IAM_HOST}/{self.resource}"


_AUDIENCE_EXPECTED = ("//iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/"
                      "workloadIdentityPools/POOL/providers/PROVIDER")


def parse_audience(value: object, field: str = "audience") -> ProviderName:
    """Parse a provider audience in any common spelling and canonicalise it (M05, M06).

    Accepts `//iam.googleapis.com/projects/…`, `https://iam.googleapis.com/projects/…` and a bare
    `projects/…`. Refuses a project ID where the number belongs, a pool path without `/providers/…`,
    a doubled prefix, workforce pools and locations other than `global`.
    """
    text = _text(value, field, _AUDIENCE_EXPECTED)
    rest = None
    for prefix in (f"//{IAM_HOST}/", f"https://{IAM_HOST}/", f"{IAM_HOST}/", "/"):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            break
    if rest is None:
        rest = text
    if IAM_HOST in rest or rest.startswith("/"):
        raise InputError(field, f"{show(value)} has the iam.googleapis.com prefix twice", _AUDIENCE_EXPECTED)
    if not rest.startswith("projects/"):
        raise InputError(field, f"{show(value)} is not a provider resource name", _AUDIENCE_EXPECTED)
    parts = rest.rstrip("/").split("/")
    if "workforcePools" in parts:
        raise InputError(field, f"{show(value)} names a workforce pool", "a workload identity pool provider: "
                         + _AUDIENCE_EXPECTED)
    shape_ok = (len(parts) >= 6 and parts[0] == "projects" and parts[2] == "locations"
                and parts[4] == "workloadIdentityPools")
    if not shape_ok:
        raise InputError(field, f"{show(value)} is not a provider resource name", _AUDIENCE_EXPECTED)
    if len(parts) == 6:
        raise InputError(field, f"{show(value)} names a pool, not a provider",
                         "the provider's name, ending in /providers/PROVIDER: " + _AUDIENCE_EXPECTED)
    if len(parts) != 8 or parts[6] != "providers":
        raise InputError(field, f"{show(value)} is not a provider resource name", _AUDIENCE_EXPECTED)
    project = parts[1]
    if not _PROJECT_NUMBER.fullmatch(project):
        raise InputError(field, f"{show(value)} uses project ID {show(project)}; "
                         "Workload Identity Federation needs the project NUMBER",
                         f"digits in place of {project}: gcloud projects describe {project} "
                         "--format='value(projectNumber)'" if _is_project_id(project) else _AUDIENCE_EXPECTED)
    if parts[3] != "global":
        raise InputError(field, f"{show(value)} uses location {show(parts[3])}", "location global")
    return ProviderName(project, pool_id(parts[5], field), provider_id(parts[7], field))


def audience(value: object, field: str = "audience") -> str:
    """The canonical `//iam.googleapis.com/…/providers/Q` form of any accepted audience spelling."""
    return parse_audience(value, field).audience


# ------------------------------------------------------------------------------- OIDC / Kubernetes
def oidc_issuer(value: object, field: str = "issuer") -> str:
    """An OIDC issuer URL: https, a host, no query or fragment; a trailing slash is dropped
    (EKS tokens carry `iss` without one, and Google compares issuers exactly — M25)."""
    expected = "an https URL, e.g. https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    text = _text(value, field, expected)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise InputError(field, f"{show(value)} is not a URL", expected) from None
    if parts.scheme != "https" or not host or parts.query or parts.fragment or " " in text:
        raise InputError(field, f"{show(value)} is not an https issuer URL", expected)
    return text.rstrip("/")


def eks_issuer(value: object, field: str = "issuer") -> str:
    """An EKS cluster's issuer as `aws eks describe-cluster --query cluster.identity.oidc.issuer` prints it."""
    text = oidc_issuer(value, field)
    if not _EKS_ISSUER.fullmatch(text):
        raise InputError(field, f"{show(value)} is not an EKS OIDC issuer",
                         "https://oidc.eks.REGION.amazonaws.com/id/HEX-ID")
    return text


def oidc_audience(value: object, field: str = "allowed_audiences") -> str:
    """One entry of an OIDC provider's allowedAudiences: "at most 256 characters" (disc:iam.v1)."""
    expected = "at most 256 characters without spaces, e.g. sts.amazonaws.com"
    text = _text(value, field, expected)
    if len(text) > 256 or any(c.isspace() for c in text) or not text.isprintable():
        raise InputError(field, f"{show(value)} is not a usable audience", expected)
    return text


def id_token_audience(value: object, field: str = "audience") -> str:
    """The audience a Google ID token is requested for (GCP → AWS; becomes `accounts.google.com:oaud`)."""
    return oidc_audience(value, field)


@dataclass(frozen=True)
class KubernetesServiceAccount:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        """The `sub` of its projected tokens: `system:serviceaccount:NS:NAME`."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def kubernetes_service_account(value: object, field: str = "kubernetes_service_accounts") -> KubernetesServiceAccount:
    """`namespace/name` (or the token subject `system:serviceaccount:namespace:name`)."""
    expected = "namespace/name, e.g. apps/billing"
    text = _text(value, field, expected, max_len=400)
    if text.startswith("system:serviceaccount:"):
        namespace, sep, name = text[len("system:serviceaccount:"):].partition(":")
    else:
        namespace, sep, name = text.partition("/")
    if not sep:
        raise InputError(field, f"{show(value)} has no namespace", expected)
    if not (len(namespace) <= 63 and _K8S_LABEL.fullmatch(namespace)):
        raise InputError(field, f"{show(value)} has an invalid namespace {show(namespace)}",
                         "a namespace of at most 63 lowercase letters, digits and -")
    if not (len(name) <= 253 and _K8S_SUBDOMAIN.fullmatch(name)):
        raise InputError(field, f"{show(value)} has an invalid service account name {show(name)}",
                         "a name of lowercase letters, digits, - and .")
    return KubernetesServiceAccount(namespace, name)


def eks_cluster_name(value: object, field: str = "cluster") -> str:
    """EKS CreateCluster `name`: 1-100 characters `^[0-9A-Za-z][A-Za-z0-9\\-_]*`."""
    expected = "an EKS cluster name: a letter or digit, then letters, digits, - and _ (at most 100)"
    text = _text(value, field, expected, max_len=256)
    if not (len(text) <= 100 and re.fullmatch(r"[0-9A-Za-z][A-Za-z0-9_-]*", text)):
        raise InputError(field, f"{show(value)} is not an EKS cluster name", expected)
    return text


# --------------------------------------------------------------------------------------- numbers
def token_lifetime(value: object, field: str = "token_lifetime") -> int:
    """`service_account_impersonation.token_lifetime_seconds`: 600-43200 (gcloud's
    --service-account-token-lifetime-seconds range; over 3600 needs the
    constraints/iam.allowServiceAccountCredentialLifetimeExtension org policy)."""
    return _int_range(value, field, 600, 43200, "seconds")


def _int_range(value: object, field: str, low: int, high: int, unit: str) -> int:
    expected = f"a whole number of {unit} from {low} to {high}"
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 12:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"{show(value)} is not a whole number", expected)
    if not low <= value <= high:
        raise InputError(field, f"{value} is out of range", expected)
    return value


def file_path(value: object, field: str = "credential_config") -> str:
    """A file path as written (no I/O here: existence is the engine's business)."""
    expected = "a file path, e.g. gcp-credentials.json"
    text = _text(value, field, expected, max_len=1024)
    if "\x00" in text or not text.isprintable():
        raise InputError(field, f"{show(value)} has control characters", expected)
    return text


def environment_variable(value: object, field: str = "env") -> str:
    expected = "an environment variable name, e.g. GOOGLE_APPLICATION_CREDENTIALS"
    text = _text(value, field, expected, max_len=256)
    if not _ENV_NAME.fullmatch(text):
        raise InputError(field, f"{show(value)} is not an environment variable name", expected)
    return text
