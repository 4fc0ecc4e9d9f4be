"""AWS's error shapes for the query protocol (STS, IAM) and for EC2.

Source: the STS XML envelope quoted verbatim in cloud-facts §3.4 (GH:aws/amazon-eks-pod-identity-webhook#232).
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


class AwsError(Exception):
    def __init__(self, code: str, message: str, http_status: int = 400, sender: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.sender = sender

    def xml(self, namespace: str = STS_NS) -> str:
        kind = "Sender" if self.sender else "Receiver"
        return (f'<ErrorResponse xmlns="{namespace}">\n'
                f"  <Error>\n    <Type>{kind}</Type>\n    <Code>{escape(self.code)}</Code>\n"
                f"    <Message>{escape(self.message)}</Message>\n  </Error>\n"
                f"  <RequestId>{uuid.uuid4()}</RequestId>\n</ErrorResponse>\n")

    def ec2_xml(self) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(self.code)}</Code>'
                f"<Message>{escape(self.message)}</Message></Error></Errors>"
                f"<RequestID>{uuid.uuid4()}</RequestID></Response>")

    def json_body(self) -> dict:
        """JSON-protocol services (Organizations, EKS) answer `{"__type", "message"}`."""
        return {"__type": self.code, "message": self.message}
