"""AWS role trust policies for Google Cloud → AWS federation: build, merge, evaluate, lint.

Pure functions over policy documents (dicts or JSON text); no I/O.

**The statement xwiz owns.** One statement per Google service account, identified by its `Sid`:
`XwizGoogleFederation<uniqueId>` (IAM allows only `[A-Za-z0-9]` in a Sid, and a uniqueId is
digits). Re-applying for the same service account finds that Sid and updates the statement in
place (e.g. a new audience); a second service account gets a second statement; every other
statement is left exactly as it was.

**AWS's key mapping for Google ID tokens** (cloud-facts §3.5, verbatim AWS docs):
`accounts.google.com:aud` is the token's `azp` when `azp` is set, else its `aud`;
`accounts.google.com:sub` is `sub`; `accounts.google.com:oaud` is the token's `aud` *when `azp`
is set*. The docs say "`aud` … when the `azp` field is not set. When the `azp` field is set, the
`aud` field matches the `accounts.google.com:oaud` condition key", but also define `:oaud` as
"the Google audience (`aud`) that this ID token is intended for" without a condition. Which one
holds for a token without `azp` is not verified; xwiz takes the narrower reading — `:oaud` is
absent then, so a policy that requires it does not admit such a token — as the sandbox's gate
does. Service-account ID tokens always carry `azp`, so only OAuth-client tokens are affected.
The trap this module exists for: the AWS console writes the audience the user typed into
`:aud`, which a service-account token compares with `azp` (its numeric uniqueId), so the role
can never be assumed.

For other OIDC issuers the keys are `<issuer without https://>:aud` (multi-valued when the
token's `aud` is a list), `:sub` and `:amr`, and the principal is the IAM OIDC provider's ARN.
"""

from __future__ import annotations

import json
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from wizard.model.errors import Finding, XwizError
from wizard.model.policy_conditions import (
    ConditionResult,
    ContextKey,
    as_strings,
    evaluate_conditions,
    parse_operator,
    wildcard_match,
)

__all__ = [
    "GOOGLE_PROVIDER",
    "ASSUME_ACTION",
    "SID_PREFIX",
    "DEFAULT_VERSION",
    "TRUST_POLICY_MAX_LENGTH",
    "TRUST_POLICY_MAX_LENGTH_RAISED",
    "TrustPolicyError",
    "TrustPolicyTooLarge",
    "statement_sid",
    "build_statement",
    "build_policy",
    "parse_policy",
    "policy_statements",
    "policy_document",
    "policy_length",
    "MergeResult",
    "merge",
    "google_request_context",
    "oidc_request_context",
    "ConditionResult",
    "StatementResult",
    "Evaluation",
    "evaluate",
    "TrustPolicyFinding",
    "lint",
]

GOOGLE_PROVIDER = "accounts.google.com"
ASSUME_ACTION = "sts:AssumeRoleWithWebIdentity"
SID_PREFIX = "XwizGoogleFederation"
DEFAULT_VERSION = "2012-10-17"
_VERSIONS = ("2012-10-17", "2008-10-17")
# IAM quota "Role trust policy length": 2048 characters, adjustable up to 4096. IAM counts the
# document without whitespace, i.e. its compact JSON.
TRUST_POLICY_MAX_LENGTH = 2048
TRUST_POLICY_MAX_LENGTH_RAISED = 4096
# generateIdToken takes any audience string; this bound only keeps one statement well inside
# the trust-policy quota.
MAX_AUDIENCE_LENGTH = 1024

_UNIQUE_ID = re.compile(r"[0-9]{1,30}")
_OIDC_PROVIDER_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/(?P<url>.+)")
_KEY_AUD = f"{GOOGLE_PROVIDER}:aud"
_OAUTH_CLIENT_SUFFIX = ".apps.googleusercontent.com"
_KEY_OAUD = f"{GOOGLE_PROVIDER}:oaud"
_KEY_SUB = f"{GOOGLE_PROVIDER}:sub"


class TrustPolicyError(XwizError, ValueError):
    """A trust policy, or an input to one, is malformed: a usage/input error (exit 2)."""

    exit_code = 2


class TrustPolicyTooLarge(TrustPolicyError):
    def __init__(self, length: int, limit: int):
        self.length = length
        self.limit = limit
        hint = (f"; ask for the IAM quota \"Role trust policy length\" to be raised (up to "
                f"{TRUST_POLICY_MAX_LENGTH_RAISED})" if limit < TRUST_POLICY_MAX_LENGTH_RAISED else "")
        super().__init__(f"the merged trust policy is {length} characters (without whitespace), over the "
                         f"limit of {limit}{hint}, or remove statements the role no longer needs")


# ---------------------------------------------------------------------------------------------
# Building


def statement_sid(unique_id: str) -> str:
    """The Sid of xwiz's statement for one service account."""
    return SID_PREFIX + _check_unique_id(unique_id)


def _check_unique_id(unique_id: Any) -> str:
    if not isinstance(unique_id, str) or not _UNIQUE_ID.fullmatch(unique_id):
        raise TrustPolicyError(f"a service account's uniqueId is a number of 1–30 digits (usually 21), "
                               f"not {unique_id!r}; read it with `gcloud iam service-accounts describe EMAIL "
                               f"--format='value(uniqueId)'`")
    return unique_id


def _check_text(name: str, value: Any, limit: int = MAX_AUDIENCE_LENGTH) -> str:
    if not isinstance(value, str) or not value:
        raise TrustPolicyError(f"the {name} must be a non-empty string, not {value!r}")
    if len(value) > limit:
        raise TrustPolicyError(f"the {name} is {len(value)} characters; at most {limit} are allowed")
    if value != value.strip() or any(unicodedata.category(c) == "Cc" for c in value):
        raise TrustPolicyError(f"the {name} {value!r} has surrounding whitespace or control characters")
    return value


def build_statement(unique_id: str, audience: str, *, azp: str | None = None) -> dict:
    """xwiz's statement trusting one service account's Google ID tokens for `audience`.

    `azp` defaults to the uniqueId (what the metadata server and generateIdToken put there); pass
    the value read from a live token when it differs (tokens minted from keys carry the email).
    """
    _check_unique_id(unique_id)
    _check_text("audience", audience)
    if azp is not None:
        _check_text("azp", azp)
    for name, value in (("audience", audience), ("azp", azp)):
        if value is not None and "${" in value:
            # In a 2012-10-17 policy IAM reads `${…}` in a condition value as a policy variable, so
            # the statement would compare the token with something else and never admit it.
            raise TrustPolicyError(f"the {name} {value!r} contains \"${{\", which IAM reads as a policy variable "
                                   f"in a trust policy, so no token would match; choose one without \"${{\"")
    return {
        "Sid": statement_sid(unique_id),
        "Effect": "Allow",
        "Principal": {"Federated": GOOGLE_PROVIDER},
        "Action": ASSUME_ACTION,
        "Condition": {
            "StringEquals": {
                _KEY_AUD: azp or unique_id,
                _KEY_OAUD: audience,
                _KEY_SUB: unique_id,
            }
        },
    }


def build_policy(unique_id: str, audience: str, *, azp: str | None = None) -> dict:
    """A whole trust policy holding only xwiz's statement."""
    return {"Version": DEFAULT_VERSION, "Statement": [build_statement(unique_id, audience, azp=azp)]}


# ---------------------------------------------------------------------------------------------
# Parsing and size


def _load(existing: Any) -> dict | None:
    if existing is None:
        return None
    if isinstance(existing, (bytes, bytearray)):
        existing = existing.decode("utf-8")
    if isinstance(existing, str):
        text = existing.strip()
        if not text:
            return None
        if text.startswith("%7B") or text.startswith("%7b"):
            text = urllib.parse.unquote(text)  # IAM's GetRole returns the document URL-encoded
        try:
            existing = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise TrustPolicyError(f"the trust policy is not valid JSON: {exc.msg} at line {exc.lineno} "
                                   f"column {exc.colno}") from None
    if not isinstance(existing, Mapping):
        raise TrustPolicyError(f"a trust policy is a JSON object, not {type(existing).__name__}")
    return dict(existing)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    # json.loads would keep only the last of two equal keys (say two "StringEquals" blocks), and
    # writing the policy back would silently drop a condition someone else wrote.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise TrustPolicyError(f"the trust policy repeats the key {key!r} in one object; merge the two "
                                   f"into one before xwiz edits the policy")
        seen[key] = value
    return seen


def _statements(policy: Mapping) -> list:
    if "Statement" not in policy:
        raise TrustPolicyError("the trust policy has no Statement element")
    raw = policy["Statement"]
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, list):
        return raw
    raise TrustPolicyError(f"Statement must be an object or a list of objects, not {type(raw).__name__}")


def policy_statements(policy: Any) -> list:
    """The statements of a policy (dict or text) as a list, whether `Statement` is one object or a list."""
    parsed = _load(policy)
    return [] if parsed is None else _statements(parsed)


def _name(index: int, stmt: Any) -> str:
    sid = stmt.get("Sid") if isinstance(stmt, Mapping) else None
    return f"statement {index} (Sid {sid})" if sid else f"statement {index}"


def _statement_problem(stmt: Any) -> str | None:
    if not isinstance(stmt, Mapping):
        return f"is a {type(stmt).__name__}, not an object"
    if stmt.get("Effect") not in ("Allow", "Deny"):
        return f"has Effect {stmt.get('Effect')!r}; it must be \"Allow\" or \"Deny\""
    if "Principal" not in stmt and "NotPrincipal" not in stmt:
        return "has no Principal (a trust policy names who may assume the role)"
    if "Action" not in stmt and "NotAction" not in stmt:
        return "has no Action"
    if "Condition" in stmt and not isinstance(stmt["Condition"], Mapping):
        return "has a Condition that is not an object"
    return None


def parse_policy(existing: Any) -> dict | None:
    """A trust policy as a dict (from a dict, JSON text or IAM's URL-encoded JSON), validated.

    Returns None for no policy (None or empty text). Raises TrustPolicyError naming what is wrong.
    """
    policy = _load(existing)
    if policy is None:
        return None
    version = policy.get("Version")
    if version is not None and version not in _VERSIONS:
        raise TrustPolicyError(f"Version {version!r} is not one IAM accepts ({' or '.join(_VERSIONS)})")
    for index, stmt in enumerate(_statements(policy)):
        problem = _statement_problem(stmt)
        if problem:
            raise TrustPolicyError(f"{_name(index, stmt)} {problem}")
    return policy


def policy_document(policy: Mapping) -> str:
    """The policy as compact JSON, the form to send to IAM and the form its quota counts."""
    return json.dumps(policy, separators=(",", ":"), ensure_ascii=False)


def policy_length(policy: Mapping) -> int:
    return len(policy_document(policy))


# ---------------------------------------------------------------------------------------------
# Merging


@dataclass(frozen=True)
class MergeResult:
    policy: dict
    changed: bool
    action: str  # "added" | "updated" | "same"
    index: int  # where xwiz's statement (or the equivalent one already there) sits

    @property
    def document(self) -> str:
        return policy_document(self.policy)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _canonical(stmt: Mapping) -> Any:
    """What a statement grants, ignoring Sid, list-vs-string spelling, order and key case."""
    principal = stmt.get("Principal")
    if isinstance(principal, Mapping):
        principal = tuple(sorted((k, frozenset(map(str, _as_list(v)))) for k, v in principal.items()))
    actions = frozenset(str(a).lower() for a in _as_list(stmt.get("Action")))
    condition = stmt.get("Condition") or {}
    canon_condition = frozenset(
        (str(op).lower(), str(key).lower(), frozenset(as_strings(value) or ()))
        for op, pairs in condition.items() if isinstance(pairs, Mapping)
        for key, value in pairs.items()
    )
    extra = frozenset(k for k in stmt if k not in ("Sid", "Effect", "Principal", "Action", "Condition"))
    return (stmt.get("Effect"), principal, actions, canon_condition, extra)


def merge(existing: Any, statement: Mapping, *, max_length: int = TRUST_POLICY_MAX_LENGTH) -> MergeResult:
    """Add or update xwiz's `statement` in an existing trust policy, keeping everything else.

    * Every other statement stays as it was: the same objects, in the same order.
    * `Version` and `Id` are kept (a policy without `Version` keeps having none: adding one
      would change how IAM reads `${…}` in foreign statements); a new policy gets 2012-10-17.
    * A statement with xwiz's Sid is replaced in place ("updated"), or left alone if equal ("same").
    * A foreign statement that already grants exactly the same thing counts as "same": no duplicate.
    * `Statement` written as a single object keeps that shape unless a statement must be added,
      which makes it a list (IAM accepts both).
    * The result must fit `max_length` characters of compact JSON (IAM's quota), else TrustPolicyTooLarge.
    The input is never modified.
    """
    sid = statement.get("Sid")
    if not isinstance(sid, str) or not sid.startswith(SID_PREFIX):
        raise TrustPolicyError(f"merge() takes a statement from build_statement(); its Sid starts with {SID_PREFIX}")
    policy = parse_policy(existing)
    new_statement = dict(statement)
    if policy is None:
        result = {"Version": DEFAULT_VERSION, "Statement": [new_statement]}
        _check_size(result, max_length)
        return MergeResult(result, True, "added", 0)

    statements = _statements(policy)
    single = isinstance(policy["Statement"], Mapping)
    ours = [i for i, s in enumerate(statements) if s.get("Sid") == sid]
    if len(ours) > 1:
        raise TrustPolicyError(f"the trust policy has {len(ours)} statements with Sid {sid}; IAM requires unique Sids")
    if ours:
        index = ours[0]
        if statements[index] == new_statement:
            return MergeResult(policy, False, "same", index)
        updated = list(statements)
        updated[index] = new_statement
        result = {**policy, "Statement": new_statement if single else updated}
        _check_size(result, max_length)
        return MergeResult(result, True, "updated", index)

    wanted = _canonical(new_statement)
    for index, stmt in enumerate(statements):
        if _canonical(stmt) == wanted:
            return MergeResult(policy, False, "same", index)
    result = {**policy, "Statement": [*statements, new_statement]}
    _check_size(result, max_length)
    return MergeResult(result, True, "added", len(statements))


def _check_size(policy: Mapping, limit: int) -> None:
    length = policy_length(policy)
    if length > limit:
        raise TrustPolicyTooLarge(length, limit)


# ---------------------------------------------------------------------------------------------
# Request context


def _context_key(name: str, value: Any, source: str) -> ContextKey | None:
    values = as_strings(value)
    if values is None:
        return None
    return ContextKey(name, values, source, multi_valued=isinstance(value, list))


def _add(context: dict, key: ContextKey | None) -> None:
    if key is not None:
        context[key.name.lower()] = key


def google_request_context(claims: Mapping[str, Any]) -> dict[str, ContextKey]:
    """The condition keys AWS sets from a Google ID token (see the module docstring)."""
    context: dict[str, ContextKey] = {}
    azp = claims.get("azp")
    if azp not in (None, ""):
        _add(context, _context_key(_KEY_AUD, azp, "the token's azp, because the token has azp"))
        if "aud" in claims:
            _add(context, _context_key(_KEY_OAUD, claims["aud"], "the token's aud"))
    elif "aud" in claims:
        _add(context, _context_key(_KEY_AUD, claims["aud"], "the token's aud, because the token has no azp"))
    if "sub" in claims:
        _add(context, _context_key(_KEY_SUB, claims["sub"], "the token's sub"))
    return context


def _issuer_key_prefix(issuer: str) -> str:
    text = issuer.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            return text[len(scheme):]
    return text


def oidc_request_context(issuer: str, claims: Mapping[str, Any]) -> dict[str, ContextKey]:
    """The condition keys AWS sets from an OIDC token of an IAM OIDC provider (`<host/path>:aud|sub|amr`)."""
    prefix = _issuer_key_prefix(issuer)
    context: dict[str, ContextKey] = {}
    for claim in ("aud", "sub", "amr"):
        if claim in claims:
            _add(context, _context_key(f"{prefix}:{claim}", claims[claim], f"the token's {claim}"))
    return context


def _is_google(issuer: str) -> bool:
    return _issuer_key_prefix(issuer).rstrip("/").lower() == GOOGLE_PROVIDER


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class StatementResult:
    index: int
    sid: str | None
    effect: str | None
    principal_ok: bool
    action_ok: bool
    conditions: list[ConditionResult] = field(default_factory=list)
    applies: bool | None = False  # None: xwiz cannot tell (an operator it does not evaluate)
    why: str = ""

    @property
    def label(self) -> str:
        return f"statement {self.index} (Sid {self.sid})" if self.sid else f"statement {self.index}"


@dataclass(frozen=True)
class Evaluation:
    allowed: bool
    matched_sid: str | None
    matched_index: int | None
    statements: list[StatementResult]
    reason: str


def _principal_matches(stmt: Mapping, google: bool, candidates: Iterable[str],
                       provider_suffix: str) -> tuple[bool, str]:
    """Does the statement's Principal (or NotPrincipal) name the token's identity provider?"""
    candidates = set(candidates)

    def names_us(principal: Any) -> bool:
        if principal == "*":
            return True
        if not isinstance(principal, Mapping):
            return False
        # {"AWS": "*"} means every AWS identity; whether IAM lets it cover a web-identity caller is
        # not documented, so it does not here (never more permissive than AWS). {"Federated": "*"}
        # names every federated caller.
        for value in _as_list(principal.get("Federated", [])):
            if not isinstance(value, str):
                continue
            if value == "*" or value in candidates:
                return True
            if not google and not candidates:
                match = _OIDC_PROVIDER_ARN.fullmatch(value)
                if match and match.group("url") == provider_suffix:
                    return True
        return False

    if "NotPrincipal" in stmt:
        ok = not names_us(stmt["NotPrincipal"])
        return ok, "" if ok else "NotPrincipal excludes the token's identity provider"
    principal = stmt.get("Principal")
    if names_us(principal):
        return True, ""
    federated = [v for v in _as_list(principal.get("Federated", [])) if isinstance(v, str)] \
        if isinstance(principal, Mapping) else []
    wanted = "accounts.google.com" if google else (next(iter(candidates), None)
                                                 or f"arn:aws:iam::<account>:oidc-provider/{provider_suffix}")
    if google:
        for value in federated:
            match = _OIDC_PROVIDER_ARN.fullmatch(value)
            if match and _is_google(match.group("url")):
                return False, (f"the statement trusts the IAM OIDC provider {value}; AWS matches Google ID tokens "
                               f"against its built-in provider, Principal {{\"Federated\": \"accounts.google.com\"}}, "
                               f"and says not to create an IAM OIDC provider for Google")
    shown = ", ".join(federated) if federated else json.dumps(principal)
    return False, f"the statement trusts {shown}, not {wanted}"


def _action_matches(stmt: Mapping, action: str) -> tuple[bool, str]:
    def covers(patterns: Any) -> bool:
        return any(isinstance(p, str) and wildcard_match(p, action, ignore_case=True) for p in _as_list(patterns))

    if "NotAction" in stmt:
        ok = not covers(stmt["NotAction"])
        return ok, "" if ok else f"NotAction excludes {action}"
    if covers(stmt.get("Action")):
        return True, ""
    return False, f"the statement allows {json.dumps(stmt.get('Action'))}, not {action}"


def _google_hint(result: ConditionResult, claims: Mapping[str, Any]) -> ConditionResult:
    """Explain a failed Google condition in terms of the traps users actually fall into."""
    if result.ok or result.unsupported or parse_operator(result.operator).negated:
        return result
    key = result.key.lower()
    expected = result.expected
    azp, aud = claims.get("azp"), claims.get("aud")
    if key == _KEY_AUD and azp not in (None, ""):
        why = (f"{_KEY_AUD} is compared with the token's azp ({azp}) because the token has azp; "
               f"the policy expects {_quoted(expected)}")
        looks_like_audience = any(e == aud or not ((e.isascii() and e.isdigit()) or "@" in e) for e in expected)
        if looks_like_audience:
            why += f" — this is the aud-is-azp trap (use {_KEY_OAUD} for the audience)"
        return replace(result, why=why)
    if key == _KEY_SUB and any("@" in e for e in expected):
        return replace(result, why=result.why + " — sub is the service account's numeric uniqueId, not its email")
    if key == _KEY_OAUD and result.actual is None and azp in (None, ""):
        return replace(result, why=(f"the token has no azp, and xwiz reads AWS's docs as setting {_KEY_OAUD} only "
                                    f"for tokens that carry azp (unverified), so the request does not carry "
                                    f"{_KEY_OAUD}; the policy expects {_quoted(expected)}"))
    if key == _KEY_OAUD and aud is not None:
        return replace(result, why=(f"{_KEY_OAUD} is the token's aud ({aud}), the audience the ID token was "
                                    f"requested for; the policy expects {_quoted(expected)} — request the ID token "
                                    f"for that audience or change {_KEY_OAUD}"))
    return result


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values) if values else "nothing"


def _statement_result(index: int, stmt: Any, context: Mapping[str, ContextKey], *, google: bool,
                      candidates: list[str], provider_suffix: str, action: str,
                      claims: Mapping[str, Any], policy_variables: bool) -> StatementResult:
    problem = _statement_problem(stmt)
    if problem:
        effect = stmt.get("Effect") if isinstance(stmt, Mapping) else None
        sid = stmt.get("Sid") if isinstance(stmt, Mapping) else None
        return StatementResult(index, sid, effect, False, False, [], False, f"malformed: it {problem}")
    principal_ok, principal_why = _principal_matches(stmt, google, candidates, provider_suffix)
    action_ok, action_why = _action_matches(stmt, action)
    conditions = evaluate_conditions(stmt.get("Condition"), context, policy_variables=policy_variables)
    if google:
        conditions = [_google_hint(c, claims) for c in conditions]
    failed = [c for c in conditions if not c.ok and not c.unsupported]
    unsupported = [c for c in conditions if c.unsupported]
    if not principal_ok or not action_ok or failed:
        applies: bool | None = False
        why = "; ".join([w for w in (principal_why, action_why) if w] + [c.why for c in failed])
    elif unsupported:
        applies = None
        why = "; ".join(c.why for c in unsupported)
    else:
        applies = True
        why = "principal, action and every condition match"
    return StatementResult(index, stmt.get("Sid"), stmt["Effect"], principal_ok, action_ok, conditions, applies, why)


def evaluate(policy: Any, token_claims: Mapping[str, Any], *, issuer: str = GOOGLE_PROVIDER,
             action: str = ASSUME_ACTION, provider_arn: str | None = None,
             extra_context: Mapping[str, Any] | None = None) -> Evaluation:
    """Would AWS let a token with these claims assume a role with this trust policy?

    AWS's rules: an applicable Deny wins; otherwise an Allow must name the token's identity
    provider as principal (`accounts.google.com` for Google; for other issuers `provider_arn`,
    or any account's `arn:aws:iam::…:oidc-provider/<host/path>` when it is not given), cover
    `action`, and satisfy every condition. Signature, `iss` and `exp` checks are not made here.
    A Deny that xwiz cannot evaluate (an unsupported operator) is assumed to apply.
    `extra_context` adds request keys such as `sts:RoleSessionName` (a string or a list).
    Reasons name claims, never the token itself.
    """
    parsed = _load(policy)
    if parsed is None:
        raise TrustPolicyError("there is no trust policy to evaluate")
    statements = _statements(parsed)
    google = _is_google(issuer)
    if google:
        context = google_request_context(token_claims)
        candidates = [GOOGLE_PROVIDER]
    else:
        context = oidc_request_context(issuer, token_claims)
        candidates = [provider_arn] if provider_arn else []
    for name, value in (extra_context or {}).items():
        _add(context, _context_key(name, value, ""))
    policy_variables = parsed.get("Version") == "2012-10-17"
    provider_suffix = _issuer_key_prefix(issuer)
    results = [
        _statement_result(i, s, context, google=google, candidates=candidates, provider_suffix=provider_suffix,
                          action=action, claims=token_claims, policy_variables=policy_variables)
        for i, s in enumerate(statements)
    ]
    denied = f"Not authorized to perform {action}"
    for r in results:
        if r.effect == "Deny" and r.applies is True:
            return Evaluation(False, r.sid, r.index, results, f"{denied}: {r.label} explicitly denies it")
    for r in results:
        if r.effect == "Deny" and r.applies is None:
            return Evaluation(False, r.sid, r.index, results,
                              f"{denied}: {r.label} is a Deny that may apply ({r.why}); xwiz assumes it does")
    for r in results:
        if r.effect == "Allow" and r.applies is True:
            return Evaluation(True, r.sid, r.index, results, f"allowed by {r.label}")
    return Evaluation(False, None, None, results, f"{denied}: {_explain_no_allow(results)}")


def _explain_no_allow(results: list[StatementResult]) -> str:
    allows = [r for r in results if r.effect == "Allow"]
    if not allows:
        return "the trust policy has no Allow statement"
    # The closest miss explains best: right principal and action, then fewest failed conditions.
    def distance(r: StatementResult) -> tuple:
        failed = sum(1 for c in r.conditions if not c.ok)
        return (not r.principal_ok, not r.action_ok, failed)

    best = min(allows, key=distance)
    if best.principal_ok and best.action_ok:
        lead = "no statement allows it; closest is"
    else:
        lead = "no statement trusts this token for the action; closest is"
    return f"{lead} {best.label}: {best.why}"


# ---------------------------------------------------------------------------------------------
# Linting


@dataclass(frozen=True)
class TrustPolicyFinding(Finding):
    """A lint finding: `Finding` (code, summary, misconfig, severity "fail"|"warn", field, fix,
    evidence) plus the index of the statement it is about (None: about the policy or account)."""

    statement_index: int | None = None

    @property
    def message(self) -> str:
        return self.summary


def _finding(code: str, severity: str, summary: str, index: int | None, *, misconfig: str | None = None,
             key: str | None = None, fix: str | None = None, **evidence: Any) -> TrustPolicyFinding:
    field_path = None
    if index is not None:
        field_path = f"Statement[{index}]" + (f".Condition.{key}" if key else "")
    return TrustPolicyFinding(code=code, summary=summary, misconfig=misconfig, severity=severity, field=field_path,
                              fix=fix, evidence=evidence, statement_index=index)


def _federated(stmt: Mapping) -> list[str]:
    principal = stmt.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    return [v for v in _as_list(principal.get("Federated", [])) if isinstance(v, str)]


def _google_keys(stmt: Mapping) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """accounts.google.com:* keys under positive string operators → [(operator, values)]."""
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    condition = stmt.get("Condition")
    if not isinstance(condition, Mapping):
        return found
    for operator, pairs in condition.items():
        op = parse_operator(str(operator))
        if not isinstance(pairs, Mapping) or not op.supported or op.negated or op.base == "Null":
            continue
        for key, value in pairs.items():
            if str(key).lower().startswith(GOOGLE_PROVIDER + ":"):
                found.setdefault(str(key).lower(), []).append((str(operator), as_strings(value) or ()))
    return found


def _mentions_google(stmt: Mapping) -> bool:
    if any(v == GOOGLE_PROVIDER or _google_provider_arn(v) for v in _federated(stmt)):
        return True
    condition = stmt.get("Condition")
    return isinstance(condition, Mapping) and any(
        isinstance(pairs, Mapping) and any(str(k).lower().startswith(GOOGLE_PROVIDER + ":") for k in pairs)
        for pairs in condition.values())


def _google_provider_arn(value: str) -> bool:
    match = _OIDC_PROVIDER_ARN.fullmatch(value)
    return bool(match) and _is_google(match.group("url"))


def _value_matches(operator: str, pattern: str, value: str) -> bool:
    base = parse_operator(operator).base
    if base == "StringLike":
        return wildcard_match(pattern, value)
    if base == "StringEqualsIgnoreCase":
        return pattern.casefold() == value.casefold()
    return pattern == value


def lint(policy: Any, *, unique_id: str | None = None, email: str | None = None,
         audience: str | None = None, oidc_providers: Iterable[str] = ()) -> list[TrustPolicyFinding]:
    """Static findings for a role that should trust a Google service account's ID tokens.

    `unique_id`, `email`, `audience` describe the service account and the audience it requests
    tokens for, when known; `oidc_providers` lists the account's IAM OIDC provider ARNs (or URLs).
    Only Allow statements that concern Google (principal or `accounts.google.com:` keys) are
    examined. Codes: trust-policy-aud-is-azp, trust-policy-aud-is-email, trust-policy-aud-not-unique-id,
    trust-policy-missing-sub, trust-policy-sub-not-unique-id, trust-policy-not-google,
    trust-policy-oidc-provider-for-google, trust-policy-no-google-statement, id-token-audience-mismatch.
    """
    parsed = parse_policy(policy)
    findings: list[TrustPolicyFinding] = []
    for provider in oidc_providers:
        url = _OIDC_PROVIDER_ARN.fullmatch(provider)
        if _is_google(url.group("url") if url else provider):
            findings.append(_finding(
                "trust-policy-oidc-provider-for-google", "warn",
                f"the account has an IAM OIDC provider for accounts.google.com ({provider}); AWS says not to create "
                f"one: Google is built in as \"accounts.google.com\"", None, misconfig="M22", provider=provider))
    if parsed is None:
        findings.append(_finding("trust-policy-no-google-statement", "warn", "the role has no trust policy", None))
        return findings

    grants_google = False
    for index, stmt in enumerate(_statements(parsed)):
        if stmt.get("Effect") != "Allow" or not _mentions_google(stmt):
            continue
        federated = _federated(stmt)
        action_ok, _ = _action_matches(stmt, ASSUME_ACTION)
        if GOOGLE_PROVIDER in federated and action_ok and "NotPrincipal" not in stmt:
            grants_google = True
        keys = _google_keys(stmt)
        findings.extend(_lint_principal(index, federated))
        findings.extend(_lint_aud(index, keys.get(_KEY_AUD, []), unique_id, email, audience))
        findings.extend(_lint_sub(index, keys.get(_KEY_SUB, []), unique_id, email))
        findings.extend(_lint_oaud(index, keys.get(_KEY_OAUD, []), audience))
    if not grants_google:
        findings.append(_finding(
            "trust-policy-no-google-statement", "warn",
            f"no statement allows {ASSUME_ACTION} for Principal {{\"Federated\": \"{GOOGLE_PROVIDER}\"}}, "
            f"so no Google service account can assume this role", None))
    return findings


def _lint_principal(index: int, federated: list[str]) -> list[TrustPolicyFinding]:
    out = []
    for value in federated:
        if value == GOOGLE_PROVIDER:
            continue
        if _google_provider_arn(value):
            out.append(_finding(
                "trust-policy-oidc-provider-for-google", "fail",
                f"the statement trusts the IAM OIDC provider {value}; use Principal "
                f"{{\"Federated\": \"{GOOGLE_PROVIDER}\"}} (Google is built into AWS)", index,
                misconfig="M22", fix=GOOGLE_PROVIDER, principal=value))
        else:
            out.append(_finding(
                "trust-policy-not-google", "fail",
                f"the statement uses {GOOGLE_PROVIDER} condition keys but trusts {value}; Google ID tokens "
                f"need Principal {{\"Federated\": \"{GOOGLE_PROVIDER}\"}}", index,
                fix=GOOGLE_PROVIDER, principal=value))
    return out


def _lint_aud(index: int, entries: list, unique_id: str | None, email: str | None,
              audience: str | None) -> list[TrustPolicyFinding]:
    out = []
    trap = False
    for operator, values in entries:
        key = f"{operator}.{_KEY_AUD}"
        for value in values:
            if (value.isascii() and value.isdigit()) or value == unique_id:
                continue
            if value.lower().endswith(_OAUTH_CLIENT_SUFFIX):
                continue  # an OAuth client ID: what AWS documents :aud for (tokens without azp, hybrid apps)
            if parse_operator(operator).base == "StringLike" and any(c in value for c in "*?"):
                continue  # a pattern: over-broad perhaps, but not the audience trap
            if "@" in value:
                note = " (the service account's email)" if email and value == email else ""
                out.append(_finding(
                    "trust-policy-aud-is-email", "warn",
                    f"{_KEY_AUD} is \"{value}\"{note}: it is compared with the token's azp, which is the numeric "
                    f"uniqueId in ID tokens from the metadata server and generateIdToken (the email only in tokens "
                    f"minted from keys)", index, misconfig="M21", key=key, fix=unique_id, value=value))
                continue
            trap = True
            named = " — the audience the service account requests" if audience and value == audience else ""
            out.append(_finding(
                "trust-policy-aud-is-azp", "fail",
                f"{_KEY_AUD} is \"{value}\"{named}, but for service-account ID tokens AWS compares {_KEY_AUD} "
                f"with the token's azp (the uniqueId{f' {unique_id}' if unique_id else ''}); put the audience "
                f"in {_KEY_OAUD} and the uniqueId in {_KEY_AUD}", index, misconfig="M20", key=key, fix=unique_id,
                value=value))
    if unique_id and entries and not trap and not any(
            _value_matches(op, v, unique_id) or (email and _value_matches(op, v, email))
            for op, values in entries for v in values):
        shown = ", ".join(f'"{v}"' for _, values in entries for v in values)
        out.append(_finding(
            "trust-policy-aud-not-unique-id", "fail",
            f"{_KEY_AUD} is {shown}, which does not match the service account's uniqueId {unique_id} "
            f"(the azp of its ID tokens)", index, misconfig="M20", key=f"{entries[0][0]}.{_KEY_AUD}",
            fix=unique_id))
    return out


def _lint_sub(index: int, entries: list, unique_id: str | None, email: str | None) -> list[TrustPolicyFinding]:
    values = [(op, v) for op, vs in entries for v in vs]
    if not values or all(v.strip("*") == "" for _, v in values):
        return [_finding(
            "trust-policy-missing-sub", "warn",
            f"the statement does not pin {_KEY_SUB}: the audience is chosen by the caller, so any Google "
            f"identity that can mint a token for it could assume the role; add {_KEY_SUB} = the service "
            f"account's uniqueId", index, misconfig="M23", fix=unique_id)]
    out = []
    for operator, value in values:
        key = f"{operator}.{_KEY_SUB}"
        if "@" in value:
            named = " (the service account's email)" if email and value == email else ""
            out.append(_finding(
                "trust-policy-sub-not-unique-id", "fail",
                f"{_KEY_SUB} is \"{value}\"{named}, but the sub of a service account's ID token is its numeric "
                f"uniqueId{f' ({unique_id})' if unique_id else ''}; emails can be freed and reused", index,
                misconfig="M21", key=key, fix=unique_id, value=value))
        elif not (value.isascii() and value.isdigit()) and not any(c in value for c in "*?"):
            out.append(_finding(
                "trust-policy-sub-not-unique-id", "fail",
                f"{_KEY_SUB} is \"{value}\", not a numeric uniqueId", index, misconfig="M21", key=key,
                fix=unique_id, value=value))
    if unique_id and not out and not any(_value_matches(op, v, unique_id) for op, v in values):
        shown = ", ".join(f'"{v}"' for _, v in values)
        out.append(_finding(
            "trust-policy-sub-not-unique-id", "fail",
            f"{_KEY_SUB} is {shown}, not this service account's uniqueId {unique_id}", index, misconfig="M21",
            key=f"{values[0][0]}.{_KEY_SUB}", fix=unique_id))
    return out


def _lint_oaud(index: int, entries: list, audience: str | None) -> list[TrustPolicyFinding]:
    if not audience or not entries:
        return []
    if any(_value_matches(op, v, audience) for op, values in entries for v in values):
        return []
    shown = ", ".join(f'"{v}"' for _, values in entries for v in values)
    return [_finding(
        "id-token-audience-mismatch", "fail",
        f"{_KEY_OAUD} is {shown}, but the ID token is requested for \"{audience}\"; request the token for the "
        f"policy's audience or change {_KEY_OAUD}", index, misconfig="M24", key=f"{entries[0][0]}.{_KEY_OAUD}",
        fix=audience)]
