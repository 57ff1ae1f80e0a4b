"""Authenticated bus and least-privilege database in the Kubernetes manifests: the NATS users are the
ones generated from shared/subjects.py (never a hand-edited copy), every service has its own NATS user
and database role, and only the migration Job holds the owner role."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
import yaml

from devstack.dbroles import PASSWORD_ENV
from shared.bus.authorization import SERVICE_USERS, USERS, authorization_config, helm_values, password_variable
from shared.db import runtime_role
from tests.deploy.support import K8S, OVERLAYS, Doc, named, of_kind, render

PRODUCTION_VALUES = K8S / "overlays" / "production" / "nats-values.yaml"


def _env(container: Doc) -> dict[str, Any]:
    return {v["name"]: v.get("value", v.get("valueFrom")) for v in container.get("env", [])}


def _secret_ref(value: Any) -> tuple[str, str]:
    ref = value["secretKeyRef"]
    # kustomize's generators append a content hash to the name.
    return re.sub(r"-[a-z0-9]{10}$", "", ref["name"]), ref["key"]


def _deployment_container(docs: tuple[Doc, ...], name: str) -> Doc:
    container: Doc = named(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_own_nats_user_and_database_role(overlay: str) -> None:
    docs = render(overlay)
    for service in SERVICE_USERS:
        env = _env(_deployment_container(docs, service))
        assert env["CITYOPS_NATS_USER"] == service
        assert _secret_ref(env["CITYOPS_NATS_PASSWORD"]) == ("cityops-nats", service)
        assert _secret_ref(env["PGUSER"]) == (f"cityops-db-{service}", "username")
        assert _secret_ref(env["PGPASSWORD"]) == (f"cityops-db-{service}", "password")
        assert "CITYOPS_MIGRATION_DATABASE_URL" not in env, "the owner's password belongs to the Job only"
    (job,) = of_kind(docs, "Job")
    job_env = _env(job["spec"]["template"]["spec"]["containers"][0])
    assert _secret_ref(job_env["PGUSER"]) == ("cityops-pg-app", "username")


def test_dev_nats_runs_the_generated_users() -> None:
    docs = render("dev")
    (config_map,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("nats-auth")]
    assert config_map["data"]["auth.conf"] == authorization_config(), "run `make nats-config`"
    pod = named(docs, "StatefulSet", "nats")["spec"]["template"]["spec"]
    (nats,) = pod["containers"]
    path = nats["args"][nats["args"].index("-c") + 1]
    (mount,) = [m for m in nats["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    env = _env(nats)
    for user in USERS:
        assert _secret_ref(env[password_variable(user)]) == ("cityops-nats", user)


def test_dev_migration_job_creates_the_roles_the_services_log_in_as() -> None:
    docs = render("dev")
    secrets = {re.sub(r"-[a-z0-9]{10}$", "", s["metadata"]["name"]): s for s in of_kind(docs, "Secret")}
    (job,) = of_kind(docs, "Job")
    job_env = _env(job["spec"]["template"]["spec"]["containers"][0])
    for service in SERVICE_USERS:
        secret = secrets[f"cityops-db-{service}"]
        assert base64.b64decode(secret["data"]["username"]).decode() == runtime_role(service)
        assert _secret_ref(job_env[PASSWORD_ENV.format(service.upper())]) == (f"cityops-db-{service}", "password")
    nats_secret = secrets["cityops-nats"]
    assert set(nats_secret["data"]) == set(USERS)


def test_production_nats_values_are_the_generated_users() -> None:
    values = yaml.safe_load(PRODUCTION_VALUES.read_text())
    expected = helm_values()
    assert values["config"]["merge"] == expected["config"]["merge"], (
        "run `python -m shared.subjects nats-helm-values` and merge it into nats-values.yaml"
    )
    assert values["container"]["env"] == expected["container"]["env"]
    users = values["config"]["merge"]["authorization"]["users"]
    assert [u["user"] for u in users] == list(USERS)
    assert "no_auth_user" not in values["config"]["merge"]["authorization"]


def test_production_database_roles_are_managed_by_cloudnativepg() -> None:
    (cluster,) = of_kind(render("production"), "Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == {runtime_role(s) for s in SERVICE_USERS}
    for service in SERVICE_USERS:
        role = roles[runtime_role(service)]
        assert role["login"] is True
        assert role["passwordSecret"]["name"] == f"cityops-db-{service}"
        # No role attribute beyond LOGIN: what it may touch is granted by the migration.
        assert not {"superuser", "createdb", "createrole", "replication", "bypassrls"} & {
            k for k, v in role.items() if v is True
        }
