"""The Services bundle: every cloud adapter the TUI, the CLI and the tests use, built from one
`Endpoints`. Injected, never a module-level singleton, so the sandbox and the real clouds are the
same code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.cloud.endpoints import Endpoints


@dataclass
class Services:
    endpoints: Endpoints
    aws_profile: str | None = None
    _gcp: Any = field(default=None, repr=False)
    _aws: Any = field(default=None, repr=False)

    @classmethod
    def resolve(cls, sandbox_file: str | None = None, aws_profile: str | None = None) -> "Services":
        return cls(Endpoints.resolve(sandbox_file), aws_profile)

    @property
    def gcp(self):
        if self._gcp is None:
            from wizard.cloud.gcp import GcpAdapter

            self._gcp = GcpAdapter(self.endpoints.google)
        return self._gcp

    @property
    def aws(self):
        if self._aws is None:
            from wizard.cloud.aws import AwsAdapter

            self._aws = AwsAdapter(self.endpoints.aws, profile=self.aws_profile)
        return self._aws

    @property
    def workload(self):
        """The workload's side of the exchange, hop by hop (IMDS, STS, IAM Credentials): the doctor's."""
        if getattr(self, "_workload", None) is None:
            from wizard.cloud.workload import ExchangeAdapter

            self._workload = ExchangeAdapter(self.endpoints)
        return self._workload
