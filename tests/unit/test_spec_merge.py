"""Merging a journey's entry into an existing spec: added, replaced by identity, others kept; never across
projects or pools; never into a file that would not load."""

from __future__ import annotations

from wizard.model.spec import loads_spec
from wizard.model.spec_merge import alternative_name, merge_specs

BASE = """
[gcp]
project = "proj-one"
pool = "pool-a"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-one"
roles = ["app"]

[[gcp_to_aws]]
service_account = "app-sa@proj-one.iam.gserviceaccount.com"
account_id = "111122223333"
role_name = "gcp-app"
audience = "gcp-app"
"""


def entry(account="444455556666", provider="aws-two", roles='["app"]', project="proj-one", pool="pool-a"):
    return loads_spec(f'[gcp]\nproject = "{project}"\npool = "{pool}"\n\n[[aws_to_gcp]]\naccount_id = "{account}"\n'
                      f'provider = "{provider}"\nroles = {roles}\n')


def test_a_new_provider_is_added_and_the_others_kept():
    merge = merge_specs(loads_spec(BASE), entry())
    assert merge.action == "add" and merge.kept == 2
    assert [e.provider for e in merge.spec.aws_to_gcp] == ["aws-one", "aws-two"]
    assert len(merge.spec.gcp_to_aws) == 1
    assert merge.describe("./xwiz.toml") == "adds 1 entry to ./xwiz.toml (2 kept)"


def test_the_same_provider_id_is_replaced_in_place():
    merge = merge_specs(loads_spec(BASE), entry("111122223333", "aws-one", '["app", "worker"]'))
    assert merge.action == "replace" and merge.kept == 1
    assert [r.role_name for r in merge.spec.aws_to_gcp[0].roles] == ["app", "worker"]
    assert merge.describe("./xwiz.toml") == "replaces provider aws-one in ./xwiz.toml (1 kept)"


def test_the_same_role_in_the_same_account_is_replaced():
    new = loads_spec('[gcp]\nproject = "proj-one"\n\n[[gcp_to_aws]]\nservice_account = "other-sa@proj-one.iam.gserviceaccount.com"\n'
                     'account_id = "111122223333"\nrole_name = "gcp-app"\naudience = "gcp-app"\n')
    merge = merge_specs(loads_spec(BASE), new)
    assert merge.action == "replace" and merge.spec.gcp.pool == "pool-a"  # a pool-less entry keeps the pool
    assert merge.spec.gcp_to_aws[0].service_account == "other-sa@proj-one.iam.gserviceaccount.com"


def test_an_identical_entry_changes_nothing():
    base = loads_spec(BASE)
    merge = merge_specs(base, entry("111122223333", "aws-one"))
    assert merge.action == "same" and merge.spec == base


def test_a_file_without_a_pool_takes_the_journeys_pool():
    base = loads_spec('[gcp]\nproject = "proj-one"\n')
    merge = merge_specs(base, entry())
    assert merge.action == "add" and merge.spec.gcp.pool == "pool-a"


def test_another_project_or_pool_is_not_merged():
    base = loads_spec(BASE)
    assert merge_specs(base, entry(project="proj-two")).action == "conflict"
    other_pool = merge_specs(base, entry(pool="pool-b"))
    assert other_pool.action == "conflict" and "pool pool-a" in other_pool.reason
    assert alternative_name(entry(project="proj-two"), base) == "xwiz-proj-two.toml"
    assert alternative_name(entry(pool="pool-b"), base) == "xwiz-proj-one-pool-b.toml"


def test_a_merge_that_would_not_load_is_refused_with_the_reason():
    clash = loads_spec('[gcp]\nproject = "proj-one"\npool = "pool-a"\n\n[[aws_to_gcp]]\naccount_id = "444455556666"\n'
                       'provider = "aws-two"\nroles = ["app"]\ncredential_config = "credentials-aws-one.json"\n')
    merge = merge_specs(loads_spec(BASE), clash)
    assert merge.action == "conflict" and "credentials-aws-one.json" in merge.reason


def test_no_existing_file_creates_it():
    merge = merge_specs(None, entry())
    assert merge.action == "create" and merge.describe("./xwiz.toml") == "creates ./xwiz.toml"
