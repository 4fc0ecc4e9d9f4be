"""The sandbox's admin route tables are the discovery documents' methods, character for character.

googleapiclient builds every URL from these documents, so a template that drifts from its
`flatPath` would make the sandbox answer paths the real API does not have (or miss real ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import googleapiclient
import pytest

from wizard.sandbox.google import cloudresourcemanager, iam, iamcredentials, serviceusage, sts

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"

TABLES = {
    "iam.v1": iam.routes,
    "serviceusage.v1": serviceusage.routes,
    "cloudresourcemanager.v1": cloudresourcemanager.routes,
    "iamcredentials.v1": iamcredentials.routes,
    "sts.v1": sts.routes,
}


def discovery_methods(document: str) -> dict[str, dict]:
    doc = json.loads((DOCUMENTS / f"{document}.json").read_text())
    methods: dict[str, dict] = {}

    def walk(resources: dict) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                methods[method["id"]] = method
            walk(resource.get("resources", {}))

    walk(doc["resources"])
    return methods


@pytest.mark.parametrize("document", sorted(TABLES))
def test_every_route_is_a_discovery_method_with_the_same_verb_and_flat_path(document):
    methods = discovery_methods(document)
    routes = TABLES[document]()
    assert routes, f"{document}: empty route table"
    for route in routes:
        assert route.method_id in methods, f"{route.method_id} is not in {document}"
        method = methods[route.method_id]
        assert (route.method_id, route.method, route.template) == (
            method["id"], method["httpMethod"], method.get("flatPath", method["path"]))


@pytest.mark.parametrize("document", sorted(TABLES))
def test_no_method_is_routed_twice(document):
    ids = [r.method_id for r in TABLES[document]()]
    assert len(ids) == len(set(ids))


def test_admin_routes_name_the_api_that_must_be_enabled():
    for route in iam.routes():
        assert route.api == "iam.googleapis.com", route.method_id
    for route in cloudresourcemanager.routes():
        assert route.api == "cloudresourcemanager.googleapis.com", route.method_id


def test_the_methods_xwiz_relies_on_are_all_routed():
    routed = {r.method_id for table in TABLES.values() for r in table()}
    pools = "iam.projects.locations.workloadIdentityPools"
    needed = {
        "serviceusage.services.get", "serviceusage.services.list", "serviceusage.services.enable",
        "serviceusage.services.disable", "serviceusage.services.batchEnable", "serviceusage.services.batchGet",
        "serviceusage.operations.get",
        "cloudresourcemanager.projects.get", "cloudresourcemanager.projects.getIamPolicy",
        "cloudresourcemanager.projects.setIamPolicy",
        *(f"{pools}.{m}" for m in ("create", "get", "list", "patch", "delete", "undelete", "operations.get")),
        *(f"{pools}.providers.{m}" for m in ("create", "get", "list", "patch", "delete", "undelete",
                                             "operations.get")),
        *(f"iam.projects.serviceAccounts.{m}" for m in ("create", "get", "list", "delete", "getIamPolicy",
                                                        "setIamPolicy")),
    }
    assert needed <= routed, sorted(needed - routed)
