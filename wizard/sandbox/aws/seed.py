"""What the two AWS accounts hold after a reset, before any scenario adds to them.

workload (111122223333): IAM user `xwiz-admin` (AdministratorAccess) with the fixed keys of
identities.py; the EC2 instance role with its instance profile and a running instance; an EKS
cluster whose OIDC issuer is identities.EKS_ISSUER; the management account of an Organization.
second (444455556666): an Organization member with `OrganizationAccountAccessRole`, which trusts
the workload account (what AWS creates for an account made through Organizations).

moto generates random ids where AWS does; the few the sandbox must fix are set on the backend
objects right after creation.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING
from unittest import mock

from .. import identities as ids

if TYPE_CHECKING:
    from .world import AwsWorld

WORKLOAD = ids.AWS_ACCOUNTS["workload"]
SECOND = ids.AWS_ACCOUNTS["second"]

EC2_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EKS_CLUSTER_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EKS_CLUSTER_ROLE = "xwiz-eks-cluster"
AMI = "ami-0abcdef1234567890"


def seed(world: "AwsWorld") -> None:
    from .inproc import InProcessClients

    if getattr(world, "clients", None) is None:
        world.clients = InProcessClients(world.app)
    c = world.clients
    _admin_user(world, c.client("iam", WORKLOAD))
    _instance(world, c.client("iam", WORKLOAD))
    _eks(world, c.client("iam", WORKLOAD), c.client("eks", WORKLOAD))
    _organization(world, c.client("organizations", WORKLOAD))


def _admin_user(world: "AwsWorld", iam) -> None:
    _add_managed_policy(world, WORKLOAD, "AdministratorAccess")
    iam.create_user(UserName=ids.AWS_ADMIN_USER)
    iam.attach_user_policy(UserName=ids.AWS_ADMIN_USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    generated = iam.create_access_key(UserName=ids.AWS_ADMIN_USER)["AccessKey"]["AccessKeyId"]
    backend = world.iam(WORKLOAD)
    key = backend.access_keys.pop(generated)
    key.access_key_id = ids.AWS_ADMIN_ACCESS_KEY_ID
    key.secret_access_key = ids.AWS_ADMIN_SECRET_ACCESS_KEY
    # get_account_id_from() and get_user_from_access_key_id() look the key up by this dict's keys
    backend.access_keys[ids.AWS_ADMIN_ACCESS_KEY_ID] = key


def _add_managed_policy(world: "AwsWorld", account: str, name: str) -> None:
    """moto loads AWS managed policies only on request (all ~1,300 of them, slowly); add the one needed."""
    from moto.iam.models import AWSManagedPolicy

    data = _managed_policy_data(name)
    backend = world.iam(account)
    policy = AWSManagedPolicy.from_data(name, account, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


@functools.lru_cache(maxsize=None)
def _managed_policy_data(name: str) -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)[name]


def _instance(world: "AwsWorld", iam) -> None:
    iam.create_role(RoleName=ids.INSTANCE_ROLE, AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
                    Description="Role of the xwiz demo EC2 instance")
    profile = iam.create_instance_profile(InstanceProfileName=ids.INSTANCE_ROLE)["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName=ids.INSTANCE_ROLE, RoleName=ids.INSTANCE_ROLE)
    world.instance_profile_arn = profile["Arn"]
    world.instance_profile_id = profile["InstanceProfileId"]


def ec2_instance(world: "AwsWorld", ec2) -> None:
    """The instance itself, seeded on the first EC2 call (see AwsWorld.ensure_instance)."""
    generated = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  Placement={"AvailabilityZone": ids.AVAILABILITY_ZONE})["Instances"][0]["InstanceId"]
    instance = world.ec2().get_instance(generated)
    instance.id = ids.INSTANCE_ID
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": ids.INSTANCE_ROLE}, InstanceId=ids.INSTANCE_ID)


@functools.lru_cache(maxsize=None)
def _partitions() -> tuple[str, ...]:
    from boto3 import Session

    return tuple(Session().get_available_partitions())


class _PartitionsOnce:
    """Stands in for boto3.Session in moto's EKS role-ARN check, which builds a whole session (~90 ms,
    half of a reset) only to list the partitions; the answer is the same every time."""

    def get_available_partitions(self) -> list[str]:
        return list(_partitions())


def _eks(world: "AwsWorld", iam, eks) -> None:
    import moto.eks.utils as eks_utils

    role = iam.create_role(RoleName=EKS_CLUSTER_ROLE, AssumeRolePolicyDocument=json.dumps(EKS_CLUSTER_TRUST))
    with mock.patch.object(eks_utils, "Session", _PartitionsOnce):
        eks.create_cluster(name=ids.EKS_CLUSTER, roleArn=role["Role"]["Arn"],
                           resourcesVpcConfig={"subnetIds": [], "securityGroupIds": []})
    cluster = world.eks().clusters[ids.EKS_CLUSTER]
    cluster.identity = {"oidc": {"issuer": ids.EKS_ISSUER}}


def _organization(world: "AwsWorld", org) -> None:
    import moto.organizations.utils as org_utils

    world.organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    # moto draws member account ids at random; the sandbox's second account has a fixed one
    with mock.patch.object(org_utils, "make_random_account_id", return_value=SECOND):
        org.create_account(Email="xwiz-second@example.com", AccountName="second")
