"""The applier: carry out a Plan, streaming ApplyEvents; idempotent and safe to re-run.

Every step converges rather than replays: it reads the resource again right before writing, so a
resource created by a concurrent run (409 ALREADY_EXISTS) is re-read, not an error; a soft-deleted
one is undeleted; IAM policies are read-modify-written with their etag and the whole cycle is
retried on 409 ABORTED. Independent steps run concurrently; a failed step's dependants are skipped.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from wizard.model import iam_policy
from wizard.model.errors import ConflictError, XwizError
from wizard.model.plan import ApplyEvent, Plan, Step

from .planner import FOUR_APIS, Planner
from .policy_rmw import read_modify_write
from .resources import WORKLOAD_IDENTITY_USER, DesiredProvider



@dataclass
class ApplyResult:
    events: list[ApplyEvent] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.cancelled


class StepFailed(XwizError):
    pass


class Applier:
    def __init__(self, services: Any, planner: Planner, *, force: bool = False, concurrency: int = 8,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.services = services
        self.planner = planner
        self.spec = planner.spec
        self.force = force
        self.concurrency = concurrency
        self.sleep = sleep

    def apply(self, plan: Plan, on_event: Callable[[ApplyEvent], None] | None = None,
              cancel: threading.Event | None = None) -> ApplyResult:
        result = ApplyResult()
        lock = threading.Lock()

        def emit(event: ApplyEvent) -> None:
            with lock:
                result.events.append(event)
            if on_event is not None:
                on_event(event)

        steps = {s.id: s for s in plan.steps}
        done: set[str] = set()
        pending = dict(steps)
        running: dict[Future, str] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="xwiz-apply") as pool:
            while pending or running:
                for step_id, step in list(pending.items()):
                    blocked = [d for d in step.depends_on if d in result.failed or d in result.skipped]
                    if blocked or (cancel is not None and cancel.is_set()):
                        del pending[step_id]
                        result.skipped.append(step_id)
                        why = f"blocked by {blocked[0]}" if blocked else "cancelled"
                        emit(ApplyEvent(step_id, "skipped", why))
                        continue
                    if all(d in done or d not in steps for d in step.depends_on):
                        del pending[step_id]
                        emit(ApplyEvent(step_id, "started", step.summary))
                        running[pool.submit(self._run, step, emit)] = step_id
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    step_id = running.pop(future)
                    try:
                        message = future.result()
                    except XwizError as e:
                        result.failed[step_id] = str(e)
                        emit(ApplyEvent(step_id, "failed", str(e)))
                    except Exception as e:  # a bug, not a cloud answer: keep its type for the report
                        result.failed[step_id] = f"{type(e).__name__}: {e}"
                        emit(ApplyEvent(step_id, "failed", f"internal error: {type(e).__name__}: {e}"))
                    else:
                        done.add(step_id)
                        emit(ApplyEvent(step_id, "finished", message))
        result.cancelled = bool(cancel is not None and cancel.is_set())
        return result

    # -- steps ----------------------------------------------------------------------------
    def _run(self, step: Step, emit: Callable[[ApplyEvent], None]) -> str:
        if step.action == "same" and step.kind != "service_account":
            return "unchanged"
        handler = getattr(self, f"_apply_{step.kind}", None)
        if handler is None:
            from . import gcp_to_aws

            handler = lambda st, em: gcp_to_aws.apply_step(self, st, em)  # noqa: E731
        return handler(step, emit)

    @property
    def gcp(self):
        return self.services.gcp

    def _apply_apis(self, step: Step, emit) -> str:
        missing = list(step.desired.get("services") or ())
        if not missing:  # planned as "same" elsewhere, or from an older plan: read to be sure
            _, states = self.gcp.service_states(self.spec.gcp.project, list(FOUR_APIS))
            missing = [a for a in FOUR_APIS if states.get(a) != "ENABLED"]
            if not missing:
                return "already enabled"
        # enabling an enabled API is a no-op, so the plan's list needs no second read
        emit(ApplyEvent(step.id, "progress", f"enabling {', '.join(missing)} (waits for the operation)"))
        self.gcp.batch_enable_services(self.spec.gcp.project, missing)
        return f"enabled {', '.join(missing)}"

    def _apply_pool(self, step: Step, emit) -> str:
        g = self.spec.gcp
        body = step.desired.get("body") or {"displayName": (g.pool_display_name or g.pool)[:32]}
        # create first when the plan saw nothing: 409 (made meanwhile, or soft-deleted) falls back to reading
        try_create = step.action == "create"
        for _ in range(3):
            have = None if try_create else self.gcp.get_pool(g.project, g.pool)
            try_create = False
            if have is None:
                try:
                    self.gcp.create_pool(g.project, g.pool, body)
                    return "created"
                except ConflictError:
                    continue  # created by a concurrent run, or soft-deleted: read again
            if have.get("state") == "DELETED":
                emit(ApplyEvent(step.id, "warning", f"pool {g.pool} was soft-deleted; undeleting it"))
                self.gcp.undelete_pool(g.project, g.pool)
                have = self.gcp.get_pool(g.project, g.pool) or {}
                if have.get("disabled"):
                    self.gcp.patch_pool(g.project, g.pool, {"disabled": False}, "disabled")
                return "undeleted"
            if have.get("disabled"):
                self.gcp.patch_pool(g.project, g.pool, {"disabled": False}, "disabled")
                return "re-enabled"
            return "exists"
        raise StepFailed(f"pool {g.pool} could neither be created nor read")

    def _apply_provider(self, step: Step, emit) -> str:
        g = self.spec.gcp
        provider_id = step.id.split(":", 1)[1]
        want = DesiredProvider(provider_id, step.desired["kind"], step.desired["body"], step.kind)
        outcome = []
        try_create = step.action == "create"
        for _ in range(3):
            have = None if try_create else self.gcp.get_provider(g.project, g.pool, provider_id)
            try_create = False
            if have is None:
                try:
                    self.gcp.create_provider(g.project, g.pool, provider_id, want.body)
                    return "created"
                except ConflictError:
                    continue
            if have.get("state") == "DELETED":
                emit(ApplyEvent(step.id, "warning", f"provider {provider_id} was soft-deleted; undeleting it"))
                self.gcp.undelete_provider(g.project, g.pool, provider_id)
                outcome.append("undeleted")
                continue
            patch, mask, _, _ = Planner._provider_diff(have, want)
            if mask:
                self.gcp.patch_provider(g.project, g.pool, provider_id, patch, ",".join(mask))
                outcome.append("updated " + ", ".join(mask))
            return " and ".join(outcome) or "unchanged"
        raise StepFailed(f"provider {provider_id} could neither be created nor read")

    def _apply_service_account(self, step: Step, emit) -> str:
        email = step.id.split(":", 1)[1]
        have = None if step.action == "create" else self.gcp.get_service_account(email)
        if have is not None:
            return "exists"
        if step.action != "create":
            raise StepFailed(f"service account {email} does not exist; create it or set create_service_account = true")
        try:
            self.gcp.create_service_account(self.spec.gcp.project, step.desired["account_id"],
                                            step.desired.get("display_name", ""))
        except ConflictError:
            return "exists (created concurrently)"
        return "created"

    def _read_modify_write(self, read: Callable[[], dict], modify: Callable[[dict], tuple[dict, tuple[str, ...]]],
                           write: Callable[[dict], Any]) -> tuple[str, ...]:
        return read_modify_write(read, modify, write, sleep=self.sleep)

    def _apply_project_policy(self, step: Step, emit) -> str:
        project = self.spec.gcp.project
        grants, audit = step.desired["grants"], step.desired["audit_logs"]

        def modify(policy):
            edit = iam_policy.add_members(policy, grants)
            added = edit.added
            new = edit.policy
            if audit:
                a = iam_policy.add_audit_logs(new)
                new, added = a.policy, added + a.added
            return new, added

        mask = "bindings,etag,auditConfigs" if audit else "bindings,etag"
        added = self._read_modify_write(lambda: self.gcp.get_project_policy(project), modify,
                                        lambda p: self.gcp.set_project_policy(project, p, mask))
        return f"{len(added)} change(s)" if added else "unchanged"

    def _apply_sa_binding(self, step: Step, emit) -> str:
        email = step.id.split(":", 1)[1]
        members = step.desired["members"]

        def modify(policy):
            edit = iam_policy.add_members(policy, {WORKLOAD_IDENTITY_USER: members})
            return edit.policy, edit.added

        added = self._read_modify_write(lambda: self.gcp.get_service_account_policy(email), modify,
                                        lambda p: self.gcp.set_service_account_policy(email, p))
        return f"bound {len(added)} member(s)" if added else "unchanged"

    def _apply_credential_config(self, step: Step, emit) -> str:
        path = Path(step.desired["path"])
        text = step.desired["text"]
        if path.exists():
            current = path.read_text()
            if current == text:
                return "unchanged"
            if not self.force:
                raise StepFailed(f"{path} exists with other content; re-run with --force to replace it "
                                 f"(the old file is kept as {path.name}.bak)")
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        return f"wrote {path}"

    _apply_kubernetes_snippet = _apply_credential_config  # the same rules: never overwrite without --force
