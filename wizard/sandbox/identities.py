"""The sandbox's fixed identities. All fake, sandbox-only, and safe to print.

Fixed values keep demo output, snapshots and docs stable from run to run.
"""

PROJECT_ID = "xwiz-sandbox"
PROJECT_NUMBER = "615204081942"
UNIVERSE_DOMAIN = "xwiz.test"
"""Not `googleapis.com`: google-auth then skips its Regional Access Boundary lookups, which would
otherwise reach for the real iamcredentials.googleapis.com in a background thread (feasibility §1)."""

ADMIN_SA_ID = "xwiz-admin"
WORKLOAD_SA_ID = "gce-workload"
"""The service account the emulated GCE metadata server hands out (Google Cloud → AWS workloads)."""

AWS_REGION = "us-east-1"
AWS_ACCOUNTS = {"workload": "111122223333", "second": "444455556666"}
AWS_ADMIN_USER = "xwiz-admin"
AWS_ADMIN_ACCESS_KEY_ID = "AKIAXWIZSANDBOXADMIN"
AWS_ADMIN_SECRET_ACCESS_KEY = "xwiz/sandbox/admin/secret/not+a+real+key0"
INSTANCE_ROLE = "xwiz-ec2-app"
INSTANCE_ID = "i-0a1b2c3d4e5f60718"
AVAILABILITY_ZONE = "us-east-1b"
EKS_CLUSTER = "xwiz-demo"
EKS_ISSUER_ID = "5F2C1A7E9B3D4C60A8E1F0B2D3C4A5B6"
EKS_ISSUER = f"https://oidc.eks.{AWS_REGION}.amazonaws.com/id/{EKS_ISSUER_ID}"
KUBERNETES_NAMESPACE = "apps"
KUBERNETES_SERVICE_ACCOUNT = "billing"
GOOGLE_ISSUER = "https://accounts.google.com"
