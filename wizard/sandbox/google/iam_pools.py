"""Emulated IAM v1 workload identity pools and providers (cloud-facts §1.3, §2.4, §2.5).

Every mutation returns a long-running operation whose `response` is the resource; names use the
project NUMBER whatever form the request used. Deleted pools and providers stay for 30 days in
state DELETED: listed only with `showDeleted`, readable, not updatable, undeletable, and their IDs
cannot be reused (A5) until purged.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Callable

from ..errors_google import GoogleError, already_exists, invalid_argument, not_found
from ..http import Call, Route
from . import cel, paging
from .state import SOFT_DELETE_S, Pool, Project, Provider

API = "iam.googleapis.com"
TYPE_POOL = "type.googleapis.com/google.iam.v1.WorkloadIdentityPool"
TYPE_PROVIDER = "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolProvider"

ID_RE = re.compile(r"^[a-z0-9-]{4,32}$")
MAX_DISPLAY_NAME = 32  # "Cannot exceed 32 characters" (disc:iam.v1)
MAX_DESCRIPTION = 256  # "Cannot exceed 256 characters" (disc:iam.v1)
MAX_AUDIENCES = 10  # "A maximum of 10 audiences may be configured" (disc:iam.v1 Oidc.allowedAudiences)
MAX_AUDIENCE_LEN = 256
# Providers per pool. Google's IAM "Quotas and limits" page (cloud.google.com/iam/quotas, Limits
# table) documents "Workforce identity pool providers per pool: 200" and no separate number for
# workload identity pools; the sandbox applies the same 200 to workload identity pools, counting
# soft-deleted providers (they keep their ID and can be undeleted). Added for `xwiz onboard`.
MAX_PROVIDERS_PER_POOL = 200

POOL_FIELDS = {"name", "displayName", "description", "state", "disabled", "expireTime", "mode",
               "inlineCertificateIssuanceConfig", "inlineTrustConfig"}
PROVIDER_FIELDS = {"name", "displayName", "description", "state", "disabled", "expireTime", "attributeMapping",
                   "attributeCondition", "aws", "oidc", "saml", "x509", "actorProviders"}
POOL_MASK = {"displayName", "description", "disabled"}
PROVIDER_MASK = {"displayName", "description", "disabled", "attributeMapping", "attributeCondition", "aws", "oidc",
                 "aws.accountId", "oidc.issuerUri", "oidc.allowedAudiences", "oidc.jwksJson"}


# -- errors (synthetic texts unless a source is cited) ------------------------------------------

def failed_precondition(message: str) -> GoogleError:
    return GoogleError(400, message, "FAILED_PRECONDITION")


def _unknown_field(name: str, message_field: str) -> GoogleError:
    # The JSON-transcoding error every Google REST API gives for an unknown body field.
    return invalid_argument(f'Invalid JSON payload received. Unknown name "{name}" at \'{message_field}\': '
                            f"Cannot find field.")


# -- lookups ---------------------------------------------------------------------------------------

def _project(call: Call) -> Project:
    state = call.sandbox.google
    state.purge_expired(call.sandbox.clock.now())
    project = state.project(call.params["projectsId"])
    if call.params.get("locationsId") != "global":
        # "The only supported location is `global`" (disc:iam.v1); the error text is synthetic
        raise invalid_argument(f"Location {call.params.get('locationsId')} is not supported. "
                               f"The only supported location is global.")
    return project


def _require(call: Call, permission: str, project: Project, resource: str = "") -> None:
    call.sandbox.google_auth.require(call.principal, permission, project, resource=resource)


def pool_name(project: Project, pool_id: str) -> str:
    return f"projects/{project.number}/locations/global/workloadIdentityPools/{pool_id}"


def provider_name(project: Project, pool_id: str, provider_id: str) -> str:
    return f"{pool_name(project, pool_id)}/providers/{provider_id}"


def _pool(call: Call, project: Project) -> Pool:
    pool = project.pools.get(call.params["workloadIdentityPoolsId"])
    if pool is None:
        raise not_found("Requested entity was not found.")
    return pool


def _provider(call: Call, pool: Pool) -> Provider:
    provider = pool.providers.get(call.params["providersId"])
    if provider is None:
        raise not_found("Requested entity was not found.")
    return provider


# -- JSON ------------------------------------------------------------------------------------------

def pool_json(call: Call, project: Project, pool: Pool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": pool_name(project, pool.pool_id)}
    if pool.display_name:
        out["displayName"] = pool.display_name
    if pool.description:
        out["description"] = pool.description
    out["state"] = pool.state
    if pool.disabled:
        out["disabled"] = True
    if pool.expire_time is not None:
        out["expireTime"] = call.sandbox.clock.rfc3339(pool.expire_time)
    out["mode"] = pool.mode
    return out


def provider_json(call: Call, project: Project, provider: Provider) -> dict[str, Any]:
    out: dict[str, Any] = {"name": provider_name(project, provider.pool_id, provider.provider_id)}
    if provider.display_name:
        out["displayName"] = provider.display_name
    if provider.description:
        out["description"] = provider.description
    out["state"] = provider.state
    if provider.disabled:
        out["disabled"] = True
    if provider.expire_time is not None:
        out["expireTime"] = call.sandbox.clock.rfc3339(provider.expire_time)
    if provider.attribute_mapping:
        out["attributeMapping"] = dict(provider.attribute_mapping)
    if provider.attribute_condition:
        out["attributeCondition"] = provider.attribute_condition
    if provider.aws is not None:
        out["aws"] = dict(provider.aws)
    if provider.oidc is not None:
        out["oidc"] = json.loads(json.dumps(provider.oidc))
    return out


def _operation(call: Call, parent_name: str, resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    """An LRO under the resource (`…/operations/<id>`), done after one poll, whose response is the resource."""
    name = f"{parent_name}/operations/{uuid.uuid4().hex}"
    op = call.sandbox.google.new_operation(name, response={"@type": resource_type, **resource}, polls=1)
    return op.to_json()


# -- validation ------------------------------------------------------------------------------------

def validate_id(value: str | None, what: str, param: str) -> str:
    """IDs: "4-32 characters, and may contain the characters [a-z0-9-]. The prefix `gcp-` is reserved"."""
    if not value:
        raise invalid_argument(f"Field {param} is required.")  # synthetic text
    if not ID_RE.match(value):
        raise invalid_argument(f"The {what} ID \"{value}\" is invalid. The ID must be 4-32 characters long and may "
                               f"contain only lowercase letters, digits and hyphens [a-z0-9-].")  # synthetic text
    if value.startswith("gcp-"):
        raise invalid_argument(f"The {what} ID \"{value}\" is invalid. The prefix \"gcp-\" is reserved for use by "
                               f"Google, and may not be specified.")  # synthetic text
    return value


def _check_fields(body: dict[str, Any], allowed: set[str], message_field: str) -> None:
    for key in body:
        if key not in allowed:
            raise _unknown_field(key, message_field)


def _display_and_description(body: dict[str, Any], fields: set[str]) -> None:
    if "displayName" in fields:
        name = body.get("displayName") or ""
        if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME:
            # gcloud shows "display name must be less than or equal to 32 characters" (kushin77/self-hosted-runner#1900)
            raise invalid_argument(f"The display name must be less than or equal to {MAX_DISPLAY_NAME} characters.")
    if "description" in fields:
        text = body.get("description") or ""
        if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
            raise invalid_argument(f"The description must be less than or equal to {MAX_DESCRIPTION} "
                                   f"characters.")  # synthetic text


def _disabled(body: dict[str, Any]) -> bool:
    value = body.get("disabled", False)
    if not isinstance(value, bool):
        raise invalid_argument(f'Invalid value at \'disabled\' (TYPE_BOOL), "{value}"')  # transcoding error shape
    return value


def _validate_aws(aws: Any) -> dict[str, Any]:
    if not isinstance(aws, dict):
        raise invalid_argument("Invalid value at 'workload_identity_pool_provider.aws'.")  # synthetic text
    _check_fields(aws, {"accountId"}, "workload_identity_pool_provider.aws")
    account = aws.get("accountId")
    if not account:
        raise invalid_argument("The AWS account ID must be specified.")  # synthetic text
    if not isinstance(account, str) or not re.fullmatch(r"[0-9]{12}", account):
        raise invalid_argument(f"Invalid AWS account ID \"{account}\". An AWS account ID must be a "
                               f"12-digit number.")  # synthetic text
    return {"accountId": account}


def _validate_oidc(oidc: Any) -> dict[str, Any]:
    if not isinstance(oidc, dict):
        raise invalid_argument("Invalid value at 'workload_identity_pool_provider.oidc'.")  # synthetic text
    _check_fields(oidc, {"issuerUri", "allowedAudiences", "jwksJson", "discoveryUri"},
                  "workload_identity_pool_provider.oidc")
    issuer = oidc.get("issuerUri")
    if not issuer:
        raise invalid_argument("The OIDC issuer URI must be specified.")  # synthetic text
    if not isinstance(issuer, str) or not issuer.startswith("https://") or len(issuer) <= len("https://"):
        # "Required. The OIDC issuer URL. Must be an HTTPS endpoint." (disc:iam.v1 Oidc.issuerUri)
        raise invalid_argument(f"The OIDC issuer URI \"{issuer}\" is invalid. It must be an HTTPS "
                               f"endpoint.")  # synthetic text
    out: dict[str, Any] = {"issuerUri": issuer}
    audiences = oidc.get("allowedAudiences") or []
    if not isinstance(audiences, list) or not all(isinstance(a, str) and a for a in audiences):
        raise invalid_argument("allowedAudiences must be a list of non-empty strings.")  # synthetic text
    if len(audiences) > MAX_AUDIENCES:
        raise invalid_argument(f"A maximum of {MAX_AUDIENCES} allowed audiences may be configured.")  # synthetic
    for audience in audiences:
        if len(audience) > MAX_AUDIENCE_LEN:
            raise invalid_argument(f"Each allowed audience may be at most {MAX_AUDIENCE_LEN} "
                                   f"characters.")  # synthetic text
    if audiences:
        out["allowedAudiences"] = list(audiences)
    jwks = oidc.get("jwksJson")
    if jwks:
        try:
            keys = json.loads(jwks).get("keys")
        except (ValueError, AttributeError):
            keys = None
        if not isinstance(keys, list) or not keys:
            raise invalid_argument("The jwksJson field must be a JSON Web Key Set with at least one "
                                   "key.")  # synthetic text
        out["jwksJson"] = jwks
    if oidc.get("discoveryUri"):
        out["discoveryUri"] = oidc["discoveryUri"]
    return out


def _provider_type(provider: Provider) -> str:
    return "aws" if provider.aws is not None else "oidc"


def _validate_mapping_and_condition(provider: Provider) -> None:
    problem = cel.validate_mapping(provider.attribute_mapping, _provider_type(provider))
    if problem is None:
        problem = cel.validate_condition(provider.attribute_condition)
    if problem is not None:
        raise invalid_argument(problem)


def _mapping(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise invalid_argument("attributeMapping must map strings to strings.")  # synthetic text
    return dict(value)


def _condition(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_argument("attributeCondition must be a string.")  # synthetic text
    return value


def _update_mask(call: Call, allowed: set[str]) -> set[str]:
    raw = call.query("updateMask")
    if not raw:
        # "Required. The list of fields to update." (disc:iam.v1 patch updateMask); text synthetic
        raise invalid_argument("An update mask is required: set updateMask to the fields to update.")
    fields = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        camel = ".".join(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), p) for p in part.split("."))
        if camel not in allowed:
            raise invalid_argument(f"Invalid update mask path: {part}. Updatable fields are: "
                                   f"{', '.join(sorted(allowed))}.")  # synthetic text
        fields.add(camel)
    return fields


def _body(call: Call, allowed: set[str], message_field: str) -> dict[str, Any]:
    body = call.json()
    _check_fields(body, allowed, message_field)
    return body


# -- pools -------------------------------------------------------------------------------------

def create_pool(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.create", project)
    pool_id = validate_id(call.query("workloadIdentityPoolId"), "workload identity pool", "workloadIdentityPoolId")
    body = _body(call, POOL_FIELDS, "workload_identity_pool")
    _display_and_description(body, {"displayName", "description"})
    mode = body.get("mode") or "FEDERATION_ONLY"
    if mode != "FEDERATION_ONLY":
        raise invalid_argument(f"Pool mode {mode} is not supported by the sandbox.")  # synthetic text
    if pool_id in project.pools:
        # A5 also when the existing pool is soft-deleted (cloud-facts §2.5)
        raise already_exists()
    pool = Pool(pool_id, display_name=body.get("displayName") or "", description=body.get("description") or "",
                disabled=_disabled(body))
    project.pools[pool_id] = pool
    return _operation(call, pool_name(project, pool_id), TYPE_POOL, pool_json(call, project, pool))


def get_pool(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.get", project)
    return pool_json(call, project, _pool(call, project))


def list_pools(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.list", project)
    show_deleted = (call.query("showDeleted") or "").lower() == "true"
    pools = [p for _, p in sorted(project.pools.items()) if show_deleted or p.state != "DELETED"]
    page, token = paging.page(pools, call.query("pageSize"), call.query("pageToken"), default=50, maximum=1000)
    out: dict[str, Any] = {}
    if page:
        out["workloadIdentityPools"] = [pool_json(call, project, p) for p in page]
    if token:
        out["nextPageToken"] = token
    return out


def patch_pool(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.update", project)
    pool = _pool(call, project)
    fields = _update_mask(call, POOL_MASK)
    body = _body(call, POOL_FIELDS, "workload_identity_pool")
    if pool.state == "DELETED":
        # "You cannot update deleted pools." (disc:iam.v1 pools.delete); text synthetic
        raise failed_precondition("Cannot update a deleted workload identity pool. Undelete it first.")
    _display_and_description(body, fields)
    if "displayName" in fields:
        pool.display_name = body.get("displayName") or ""
    if "description" in fields:
        pool.description = body.get("description") or ""
    if "disabled" in fields:
        pool.disabled = _disabled(body)
    return _operation(call, pool_name(project, pool.pool_id), TYPE_POOL, pool_json(call, project, pool))


def delete_pool(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.delete", project)
    pool = _pool(call, project)
    if pool.state == "DELETED":
        raise failed_precondition("The workload identity pool is already deleted.")  # synthetic text
    # Providers keep their own state; STS refuses them while their pool is DELETED (cloud-facts §2.5).
    pool.state = "DELETED"
    pool.expire_time = call.sandbox.clock.now() + SOFT_DELETE_S
    return _operation(call, pool_name(project, pool.pool_id), TYPE_POOL, pool_json(call, project, pool))


def undelete_pool(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.undelete", project)
    pool = _pool(call, project)
    if pool.state != "DELETED":
        raise failed_precondition("The workload identity pool is not deleted.")  # synthetic text
    pool.state = "ACTIVE"
    pool.expire_time = None
    return _operation(call, pool_name(project, pool.pool_id), TYPE_POOL, pool_json(call, project, pool))


def get_pool_operation(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPools.get", project)
    name = f"{pool_name(project, call.params['workloadIdentityPoolsId'])}/operations/{call.params['operationsId']}"
    return _get_operation(call, name)


def _get_operation(call: Call, name: str):
    op = call.sandbox.google.operations.get(name)
    if op is None:
        raise not_found("Requested entity was not found.")
    return op.to_json(advance=True)


# -- providers ---------------------------------------------------------------------------------

def _live_pool(call: Call, project: Project) -> Pool:
    pool = _pool(call, project)
    if pool.state == "DELETED":
        raise failed_precondition("Cannot modify providers of a deleted workload identity pool.")  # synthetic
    return pool


def create_provider(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.create", project)
    pool = _live_pool(call, project)
    provider_id = validate_id(call.query("workloadIdentityPoolProviderId"), "workload identity pool provider",
                              "workloadIdentityPoolProviderId")
    body = _body(call, PROVIDER_FIELDS, "workload_identity_pool_provider")
    _display_and_description(body, {"displayName", "description"})
    kinds = [k for k in ("aws", "oidc", "saml", "x509") if body.get(k) is not None]
    if len(kinds) != 1:
        # synthetic text: exactly one provider type (disc:iam.v1 "Union field provider_config")
        raise invalid_argument("Exactly one of aws, oidc, saml or x509 must be specified.")
    if kinds[0] in ("saml", "x509"):
        raise invalid_argument(f"{kinds[0]} providers are not supported by the sandbox.")  # synthetic text
    provider = Provider(pool.pool_id, provider_id, display_name=body.get("displayName") or "",
                        description=body.get("description") or "", disabled=_disabled(body),
                        attribute_mapping=_mapping(body.get("attributeMapping")),
                        attribute_condition=_condition(body.get("attributeCondition")))
    if kinds[0] == "aws":
        provider.aws = _validate_aws(body["aws"])
    else:
        provider.oidc = _validate_oidc(body["oidc"])
    _validate_mapping_and_condition(provider)
    if provider_id in pool.providers:
        raise already_exists()  # A5, also over a soft-deleted provider (cloud-facts §2.5)
    if len(pool.providers) >= MAX_PROVIDERS_PER_POOL:
        # the limit above; the status and text are synthetic (no real response for it is known)
        raise failed_precondition(f"The workload identity pool {pool.pool_id} already has the maximum of "
                                  f"{MAX_PROVIDERS_PER_POOL} providers.")
    pool.providers[provider_id] = provider
    return _operation(call, provider_name(project, pool.pool_id, provider_id), TYPE_PROVIDER,
                      provider_json(call, project, provider))


def get_provider(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.get", project)
    return provider_json(call, project, _provider(call, _pool(call, project)))


def list_providers(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.list", project)
    pool = _pool(call, project)
    show_deleted = (call.query("showDeleted") or "").lower() == "true"
    providers = [p for _, p in sorted(pool.providers.items()) if show_deleted or p.state != "DELETED"]
    page, token = paging.page(providers, call.query("pageSize"), call.query("pageToken"), default=50, maximum=100)
    out: dict[str, Any] = {}
    if page:
        out["workloadIdentityPoolProviders"] = [provider_json(call, project, p) for p in page]
    if token:
        out["nextPageToken"] = token
    return out


def patch_provider(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.update", project)
    pool = _live_pool(call, project)
    provider = _provider(call, pool)
    fields = _update_mask(call, PROVIDER_MASK)
    body = _body(call, PROVIDER_FIELDS, "workload_identity_pool_provider")
    if provider.state == "DELETED":
        raise failed_precondition("Cannot update a deleted workload identity pool provider. "
                                  "Undelete it first.")  # synthetic text
    _display_and_description(body, fields)
    kind = _provider_type(provider)
    other = "oidc" if kind == "aws" else "aws"
    if any(f.split(".")[0] == other for f in fields):
        # The type is fixed at creation: switching aws→oidc "will throw a http 400 as it is sticking to
        # the old type ... complaining about missing aws account id" (GH:GoogleCloudPlatform/magic-modules#4129).
        # The text is synthetic.
        raise invalid_argument(f"The provider type cannot be changed: this is an {kind} provider and "
                               f"{kind} settings are required. Delete it and create a provider with a new ID.")
    updated = Provider(**{**provider.__dict__})
    if "displayName" in fields:
        updated.display_name = body.get("displayName") or ""
    if "description" in fields:
        updated.description = body.get("description") or ""
    if "disabled" in fields:
        updated.disabled = _disabled(body)
    if "attributeMapping" in fields:
        updated.attribute_mapping = _mapping(body.get("attributeMapping"))
    if "attributeCondition" in fields:
        updated.attribute_condition = _condition(body.get("attributeCondition"))
    if kind == "aws" and any(f.startswith("aws") for f in fields):
        updated.aws = _validate_aws(body.get("aws") or {})
    if kind == "oidc" and any(f.startswith("oidc") for f in fields):
        merged = dict(provider.oidc or {})
        sent = body.get("oidc") or {}
        for f in fields:
            if f == "oidc":
                merged = dict(sent)
            elif f.startswith("oidc."):
                key = f.split(".", 1)[1]
                if key in sent:
                    merged[key] = sent[key]
                else:
                    merged.pop(key, None)
        updated.oidc = _validate_oidc(merged)
    _validate_mapping_and_condition(updated)
    provider.__dict__.update(updated.__dict__)
    return _operation(call, provider_name(project, pool.pool_id, provider.provider_id), TYPE_PROVIDER,
                      provider_json(call, project, provider))


def delete_provider(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.delete", project)
    pool = _pool(call, project)
    provider = _provider(call, pool)
    if provider.state == "DELETED":
        raise failed_precondition("The workload identity pool provider is already deleted.")  # synthetic text
    provider.state = "DELETED"
    provider.expire_time = call.sandbox.clock.now() + SOFT_DELETE_S
    return _operation(call, provider_name(project, pool.pool_id, provider.provider_id), TYPE_PROVIDER,
                      provider_json(call, project, provider))


def undelete_provider(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.undelete", project)
    pool = _live_pool(call, project)
    provider = _provider(call, pool)
    if provider.state != "DELETED":
        raise failed_precondition("The workload identity pool provider is not deleted.")  # synthetic text
    provider.state = "ACTIVE"
    provider.expire_time = None
    return _operation(call, provider_name(project, pool.pool_id, provider.provider_id), TYPE_PROVIDER,
                      provider_json(call, project, provider))


def get_provider_operation(call: Call):
    project = _project(call)
    _require(call, "iam.workloadIdentityPoolProviders.get", project)
    base = provider_name(project, call.params["workloadIdentityPoolsId"], call.params["providersId"])
    return _get_operation(call, f"{base}/operations/{call.params['operationsId']}")


def routes() -> list[Route]:
    pools = "v1/projects/{projectsId}/locations/{locationsId}/workloadIdentityPools"
    pool = pools + "/{workloadIdentityPoolsId}"
    providers = pool + "/providers"
    provider = providers + "/{providersId}"
    p = "iam.projects.locations.workloadIdentityPools"
    table: list[tuple[str, str, str, Callable[[Call], Any]]] = [
        ("POST", pools, f"{p}.create", create_pool),
        ("GET", pools, f"{p}.list", list_pools),
        ("GET", pool, f"{p}.get", get_pool),
        ("PATCH", pool, f"{p}.patch", patch_pool),
        ("DELETE", pool, f"{p}.delete", delete_pool),
        ("POST", pool + ":undelete", f"{p}.undelete", undelete_pool),
        ("GET", pool + "/operations/{operationsId}", f"{p}.operations.get", get_pool_operation),
        ("POST", providers, f"{p}.providers.create", create_provider),
        ("GET", providers, f"{p}.providers.list", list_providers),
        ("GET", provider, f"{p}.providers.get", get_provider),
        ("PATCH", provider, f"{p}.providers.patch", patch_provider),
        ("DELETE", provider, f"{p}.providers.delete", delete_provider),
        ("POST", provider + ":undelete", f"{p}.providers.undelete", undelete_provider),
        ("GET", provider + "/operations/{operationsId}", f"{p}.providers.operations.get", get_provider_operation),
    ]
    return [Route(method, template, method_id, handler, api=API) for method, template, method_id, handler in table]
