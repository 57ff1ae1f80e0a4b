"""Kubernetes manifests: every overlay renders, validates strictly, and follows the deploy policy."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject

from shared.settings import OPS_PORT_OFFSET
from shared.subjects import ALERT_CASES_CONSUMER, STREAMS
from tests.deploy.support import (
    K8S,
    OVERLAYS,
    ROOT,
    Doc,
    matches,
    named,
    of_kind,
    render,
    services,
)

# Oldest Kubernetes the manifests must work on (preStop sleep is GA in 1.30) and the newest schemas.
K8S_VERSIONS = ("1.30.0", "1.37.0")
CRD_GROUPS = {"keda.sh", "postgresql.cnpg.io"}
IMAGE_UID = 10001  # USER of the Dockerfile


def workloads(docs: tuple[Doc, ...]) -> list[Doc]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]


def cityops_deployments(docs: tuple[Doc, ...]) -> dict[str, Doc]:
    deployments = {
        d["metadata"]["name"]: d
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/part-of") == "cityops"
    }
    return deployments


def container(deployment: Doc) -> Doc:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    only: Doc = containers[0]
    return only


def env_of(docs: tuple[Doc, ...], c: Doc) -> dict[str, Any]:
    """The variables a container gets: its ConfigMaps (envFrom) first, then its own env list."""
    env: dict[str, Any] = {}
    for source in c.get("envFrom", []):
        config_map = named(docs, "ConfigMap", source["configMapRef"]["name"])
        env.update(config_map["data"])
    for var in c.get("env", []):
        env[var["name"]] = var.get("value", var.get("valueFrom"))
    return env


def expand(value: str, env: dict[str, Any]) -> str:
    """Kubernetes $(VAR) expansion with placeholders for secret values."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in env, f"$({name}) is not defined before use"
        resolved = env[name]
        return resolved if isinstance(resolved, str) else f"<{name}>"

    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, value)


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def docs(overlay: str) -> tuple[Doc, ...]:
    return render(overlay)


def test_every_overlay_validates_against_the_kubernetes_schemas(docs: tuple[Doc, ...]) -> None:
    checked = 0
    for doc in docs:
        if doc["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                raise AssertionError(f"{doc['kind']}/{doc['metadata']['name']} (k8s {version}): {exc}") from exc
        checked += 1
    assert checked >= 20


def test_only_known_custom_resources(docs: tuple[Doc, ...]) -> None:
    """kubernetes-validate has no schema for custom resources; each kind we use is checked below."""
    custom = {(d["apiVersion"], d["kind"]) for d in docs if d["apiVersion"].split("/")[0] in CRD_GROUPS}
    assert custom <= {
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("postgresql.cnpg.io/v1", "Cluster"),
        ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    }


def test_every_service_has_a_deployment_and_a_service(docs: tuple[Doc, ...]) -> None:
    deployments = cityops_deployments(docs)
    for svc in services():
        assert svc.name in deployments, f"no Deployment for services/{svc.name}"
        c = container(deployments[svc.name])
        assert c["command"] == ["python", "-m", f"services.{svc.name}"]
        ops = svc.port + OPS_PORT_OFFSET
        assert c["ports"] == [{"name": "http", "containerPort": svc.port}, {"name": "ops", "containerPort": ops}]
        assert env_of(docs, c)[svc.env("ops_port")] == str(ops)
        service = named(docs, "Service", svc.name)
        assert service["spec"]["ports"][0]["port"] == svc.port


def test_deployments_probe_health_and_readiness(docs: tuple[Doc, ...]) -> None:
    for name, deployment in cityops_deployments(docs).items():
        c = container(deployment)
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            assert c[probe]["httpGet"] == {"path": path, "port": "ops"}, f"{name} {probe}"
        # /readyz waits readiness_timeout_s (2 s) for a dependency: the probe must wait longer.
        assert c["readinessProbe"]["timeoutSeconds"] > 2


def test_workloads_set_requests_limits_and_a_locked_down_security_context(docs: tuple[Doc, ...]) -> None:
    for workload in workloads(docs):
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod.get("automountServiceAccountToken") is False, name
        for c in pod["containers"]:
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{name} {kind}"
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in sc["capabilities"], name
        if "cityops" in str(pod["containers"][0]["image"]):
            assert pod["securityContext"]["runAsUser"] == IMAGE_UID, name
            mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
            assert "/tmp" in mounts, f"{name}: HOME is /tmp in the image and must be writable"


def test_every_env_var_the_code_reads_is_set(docs: tuple[Doc, ...]) -> None:
    deployments = cityops_deployments(docs)
    service_names = {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    for svc in services():
        env = env_of(docs, container(deployments[svc.name]))
        for setting in svc.required():
            assert setting.env in env, f"{svc.name}: {setting.env} is not set"
        assert env[svc.env("host")] == "0.0.0.0"
        assert env[svc.env("port")] == str(svc.port)
        database = urlsplit(expand(env[svc.env("database_url")], env))
        assert database.scheme == "postgresql+asyncpg"
        assert database.hostname in service_names | {"cityops-pg-rw"}
        nats = urlsplit(env[svc.env("nats_url")])
        # dev: the in-cluster Service; production: the Helm release "nats" (nats-values.yaml)
        assert nats.scheme == "nats"
        assert nats.hostname == "nats"
        assert nats.port == 4222
        for setting in svc.required():
            if setting.field.endswith("_url") and setting.field not in ("nats_url", "database_url"):
                target = urlsplit(env[setting.env])
                assert target.hostname in service_names, f"{setting.env} -> {target.hostname}"
                assert target.port == named(docs, "Service", target.hostname)["spec"]["ports"][0]["port"]


def test_secrets_exist_or_are_made_by_cloudnativepg(overlay: str, docs: tuple[Doc, ...]) -> None:
    provided = {s["metadata"]["name"] for s in of_kind(docs, "Secret")}
    provided |= {f"{c['metadata']['name']}-app" for c in of_kind(docs, "Cluster")}
    if overlay.startswith("production"):
        # The ones deploy/README.md tells the operator to create before the first apply.
        provided |= set(re.findall(r"create secret generic (\S+)", (ROOT / "deploy" / "README.md").read_text()))
    for workload in workloads(docs):
        for c in workload["spec"]["template"]["spec"]["containers"]:
            for var in c.get("env", []):
                ref = (var.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["name"] in provided, f"{overlay}: secret {ref['name']} is made by nothing"


# Made by the operator before the first apply of production (deploy/README.md shows the commands).
OPERATOR_SECRETS = {"cityops-service-keys", "cityops-gateway-jwt"}


def test_keys_are_mounted_as_files_that_can_rotate(overlay: str, docs: tuple[Doc, ...]) -> None:
    """Every service reads the service identity keys, the gateway also its token keys, from a Secret
    mounted as a directory (a subPath mount would never see the Secret change)."""
    generated = {s["metadata"]["name"] for s in of_kind(docs, "Secret")}
    readme = (ROOT / "deploy" / "README.md").read_text()
    wanted = {"CITYOPS_SERVICE_KEYS_FILE": "cityops-service-keys"}
    for name, deployment in cityops_deployments(docs).items():
        pod, c = deployment["spec"]["template"]["spec"], container(deployment)
        env = env_of(docs, c)
        files = {**wanted, **({"CITYOPS_GATEWAY_JWT_KEYS_FILE": "cityops-gateway-jwt"} if name == "gateway" else {})}
        assert not any(k.endswith("_KEYS") or k == "CITYOPS_GATEWAY_JWT_SECRET" for k in env), name
        for variable, secret in files.items():
            directory, _, filename = env[variable].rpartition("/")
            (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == directory]
            assert "subPath" not in mount, name
            assert mount["readOnly"] is True, name
            volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])["secret"]
            assert volume["secretName"].startswith(secret), name
            assert [i["path"] for i in volume["items"]] == [filename], name
            if overlay == "dev":
                assert volume["secretName"] in generated, f"{overlay}: secret {secret} is made by nothing"
            else:
                assert secret in OPERATOR_SECRETS
                assert f"create secret generic {secret}" in readme, f"deploy/README.md: how to make {secret}"


def test_selectors_match_pods(docs: tuple[Doc, ...]) -> None:
    pods = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs) if w["kind"] != "Job"]
    for service in of_kind(docs, "Service"):
        selector = {"matchLabels": service["spec"]["selector"]}
        assert sum(matches(selector, p) for p in pods) == 1, f"Service {service['metadata']['name']}"
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        assert any(matches(pdb["spec"]["selector"], p) for p in pods), pdb["metadata"]["name"]
    for workload in workloads(docs):
        if workload["kind"] != "Job":
            assert matches(workload["spec"]["selector"], workload["spec"]["template"]["metadata"]["labels"])
    for deployment in cityops_deployments(docs).values():
        for constraint in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]:
            assert matches(constraint["labelSelector"], deployment["spec"]["template"]["metadata"]["labels"])


def test_ingress_reaches_the_gateway_only(docs: tuple[Doc, ...]) -> None:
    (ingress,) = of_kind(docs, "Ingress")
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": "gateway", "port": {"name": "http"}}]


def test_migration_job_runs_devstack_migrate(docs: tuple[Doc, ...]) -> None:
    (job,) = of_kind(docs, "Job")
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["python", "-m", "devstack", "migrate"]
    env = env_of(docs, c)
    assert urlsplit(expand(env["CITYOPS_DATABASE_URL"], env)).scheme == "postgresql+asyncpg"
    assert c["image"] == container(cityops_deployments(docs)["gateway"])["image"]


# --- network policies -----------------------------------------------------------------------------


class Net:
    """Evaluates the rendered NetworkPolicies for one namespace the way a CNI does."""

    def __init__(self, docs: tuple[Doc, ...]) -> None:
        self.policies = of_kind(docs, "NetworkPolicy")
        self.namespace = self.policies[0]["metadata"].get("namespace", "default")

    def _ports_match(self, rule: Doc, port: int, dst_ports: dict[str, int]) -> bool:
        if not rule.get("ports"):
            return True
        for p in rule["ports"]:
            wanted = p.get("port")
            if wanted is None or wanted == port or dst_ports.get(str(wanted)) == port:
                return True
        return False

    def _peer_match(self, peer: Doc, labels: dict[str, str], ns: str, ip: str | None) -> bool:
        if "ipBlock" in peer:
            if ip is None:
                return False
            block = peer["ipBlock"]
            address = ipaddress.ip_address(ip)
            return address in ipaddress.ip_network(block["cidr"]) and not any(
                address in ipaddress.ip_network(e) for e in block.get("except", [])
            )
        ns_sel = peer.get("namespaceSelector")
        # no namespaceSelector: the policy's own namespace
        ns_ok = matches(ns_sel, {"kubernetes.io/metadata.name": ns}) if ns_sel is not None else ns == self.namespace
        return ns_ok and ("podSelector" not in peer or matches(peer["podSelector"], labels))

    def _allowed(
        self,
        direction: str,
        subject: dict[str, str],
        peer: tuple[dict[str, str], str, str | None],
        port: int,
        dst_ports: dict[str, int],
    ) -> bool:
        policy_type, key, peer_key = ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
        selecting = [
            p for p in self.policies
            if policy_type in p["spec"]["policyTypes"] and matches(p["spec"]["podSelector"], subject)
        ]  # fmt: skip
        if not selecting:
            return True
        labels, ns, ip = peer
        return any(
            self._ports_match(rule, port, dst_ports)
            and any(self._peer_match(x, labels, ns, ip) for x in rule.get(peer_key, []))
            for p in selecting
            for rule in p["spec"].get(key, [])
        )

    def allows(
        self,
        src: tuple[dict[str, str], str],
        dst: tuple[dict[str, str], str, dict[str, int]],
        port: int,
        dst_ip: str | None = None,
        src_ip: str | None = None,
    ) -> bool:
        (src_labels, src_ns), (dst_labels, dst_ns, dst_ports) = src, dst
        out_ok = src_ns != self.namespace or self._allowed(
            "out", src_labels, (dst_labels, dst_ns, dst_ip), port, dst_ports
        )
        in_ok = dst_ns != self.namespace or self._allowed(
            "in", dst_labels, (src_labels, src_ns, src_ip), port, dst_ports
        )
        return out_ok and in_ok


def pod_of(docs: tuple[Doc, ...], name: str) -> tuple[dict[str, str], str, dict[str, int]]:
    workload = next(w for w in workloads(docs) if w["metadata"]["name"] == name)
    ports = {
        p["name"]: p["containerPort"]
        for c in workload["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports", [])
        if "name" in p
    }
    return workload["spec"]["template"]["metadata"]["labels"], workload["metadata"]["namespace"], ports


def infra_pods(overlay: str, docs: tuple[Doc, ...]) -> dict[str, tuple[dict[str, str], str, dict[str, int]]]:
    """NATS and PostgreSQL pods as they run in the overlay: in-cluster in dev; from the Helm values
    and the CloudNativePG Cluster's inheritedMetadata in production."""
    if overlay == "dev":
        return {"nats": pod_of(docs, "nats"), "postgres": pod_of(docs, "postgres")}
    namespace = named(docs, "Cluster", "cityops-pg")["metadata"]["namespace"]
    values = yaml.safe_load((K8S / "overlays" / "production" / "nats-values.yaml").read_text())
    nats_labels = {"app.kubernetes.io/name": "nats", **values["podTemplate"]["merge"]["metadata"]["labels"]}
    pg_labels = {"cnpg.io/cluster": "cityops-pg"}
    pg_labels.update(named(docs, "Cluster", "cityops-pg")["spec"]["inheritedMetadata"]["labels"])
    return {"nats": (nats_labels, namespace, {}), "postgres": (pg_labels, namespace, {})}


def test_network_policies_isolate_the_services(overlay: str, docs: tuple[Doc, ...]) -> None:
    net = Net(docs)
    ns = net.namespace
    pods = {name: pod_of(docs, name) for name in cityops_deployments(docs)}
    pods["migrate"] = pod_of(docs, "cityops-migrate")
    infra = infra_pods(overlay, docs)
    controller = ({"app.kubernetes.io/name": "ingress-nginx"}, "ingress-nginx")
    prometheus = ({"app": "prometheus"}, "monitoring")
    stranger = ({"app": "something-else"}, ns)
    dns: tuple[dict[str, str], str, dict[str, int]] = ({"k8s-app": "kube-dns"}, "kube-system", {})

    def src(name: str) -> tuple[dict[str, str], str]:
        labels, namespace, _ = pods[name]
        return labels, namespace

    # in: only the gateway from the ingress controller; the others only from the gateway
    assert net.allows(controller, pods["gateway"], 8080)
    for name in ("ingest", "analytics", "reports"):
        port, ops = pods[name][2]["http"], pods[name][2]["ops"]
        assert not net.allows(controller, pods[name], port), name
        assert net.allows(src("gateway"), pods[name], port), name
        assert not net.allows(stranger, pods[name], port), name
        for other in ("ingest", "analytics", "reports"):
            assert not net.allows(src(other), pods[name], port), f"{other} -> {name}"
    assert not net.allows(stranger, pods["gateway"], 8080)
    # monitoring reaches the ops port of every service (probes, /metrics) and no API port
    for name in ("ingest", "analytics", "reports", "gateway"):
        port, ops = pods[name][2]["http"], pods[name][2]["ops"]
        assert net.allows(prometheus, pods[name], ops), f"{name} /metrics"
        assert not net.allows(prometheus, pods[name], port), f"monitoring -> {name} API"
        assert not net.allows(stranger, pods[name], ops), name
    # out: DNS, NATS, PostgreSQL for every pod; nothing else but the exceptions below
    for name in pods:
        assert net.allows(src(name), dns, 53), name
        assert net.allows(src(name), infra["nats"], 4222), f"{name} -> nats"
        assert net.allows(src(name), infra["postgres"], 5432), f"{name} -> postgres"
        assert not net.allows(src(name), infra["postgres"], 22), name
        # only reports leaves the cluster on HTTPS and SMTP submission: webhook and e-mail notifications
        for port in (443, 587):
            internet = net.allows(src(name), ({}, "default", {}), port, dst_ip="93.184.216.34")
            assert internet == (name == "reports"), f"{name} -> internet:{port}"
        assert not net.allows(src(name), ({}, "default", {}), 5432, dst_ip="93.184.216.34"), f"{name} -> internet"
        assert net.allows(src(name), ({}, "outside", {}), 554, dst_ip="10.20.1.7") == (name == "ingest"), name
    # NATS and PostgreSQL accept the services but not an arbitrary pod
    assert not net.allows(stranger, infra["nats"], 4222)
    assert not net.allows(stranger, infra["postgres"], 5432)


def test_production_runs_replicated_nats_and_postgres() -> None:
    docs = render("production")
    config = named(docs, "ConfigMap", "cityops-config")["data"]
    values = yaml.safe_load((K8S / "overlays" / "production" / "nats-values.yaml").read_text())
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["jetstream"]["enabled"] is True
    assert values["config"]["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    # R3 streams: the services declare streams and buckets with this many replicas
    assert int(config["CITYOPS_STREAM_REPLICAS"]) == values["config"]["cluster"]["replicas"]
    # CloudNativePG: no packaged schema, so check the fields we rely on structurally
    cluster = named(docs, "Cluster", "cityops-pg")["spec"]
    assert cluster["instances"] == 3
    assert cluster["bootstrap"]["initdb"] == {"database": "cityops", "owner": "cityops"}
    assert config["CITYOPS_DB_HOST"] == "cityops-pg-rw"
    assert re.fullmatch(r"\d+Gi", cluster["storage"]["size"])
    assert cluster["affinity"]["podAntiAffinityType"] == "required"
    backup = named(docs, "ScheduledBackup", "cityops-pg-daily")["spec"]
    assert backup["cluster"]["name"] == "cityops-pg"
    assert len(backup["schedule"].split()) == 6, "CloudNativePG schedules have a seconds field"


def test_production_autoscaling() -> None:
    docs = render("production")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    assert set(hpas) == {s.name for s in services()}
    deployments = cityops_deployments(docs)
    for name, spec in hpas.items():
        assert spec["minReplicas"] >= 2, name
        assert spec["maxReplicas"] > spec["minReplicas"], name
        assert deployments[name]["spec"]["replicas"] == spec["minReplicas"], name
    for name in ("gateway", "reports", "analytics"):
        assert [m["resource"]["name"] for m in hpas[name]["metrics"]] == ["cpu"], name
    (metric,) = hpas["ingest"]["metrics"]
    assert metric["type"] == "Pods"
    # the HPA scales on a gauge ingest really exports (one per replica: cameras whose lease it holds)
    ingest_source = "\n".join(p.read_text() for p in (ROOT / "services" / "ingest").rglob("*.py"))
    assert f'"{metric["pods"]["metric"]["name"]}"' in ingest_source


def test_keda_scaled_object_validates_and_replaces_the_reports_hpa() -> None:
    docs = render("production-keda")
    (raw,) = of_kind(docs, "ScaledObject")
    scaled = ScaledObject.model_validate(raw)
    assert scaled.spec is not None
    assert scaled.spec.scale_target_ref.name == "reports"
    assert "reports" not in {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    (lag,) = [t for t in raw["spec"]["triggers"] if t["type"] == "nats-jetstream"]
    assert lag["metadata"]["stream"] == "ALERTS"
    assert "ALERTS" in {s.name for s in STREAMS}
    assert lag["metadata"]["consumer"] == ALERT_CASES_CONSUMER
    values = yaml.safe_load((K8S / "overlays" / "production" / "nats-values.yaml").read_text())
    host, _, port = lag["metadata"]["natsServerMonitoringEndpoint"].partition(":")
    assert int(port) == values["config"]["monitor"]["port"]
    assert host.startswith("nats-headless.cityops.")


def test_keda_model_rejects_a_broken_scaled_object() -> None:
    """The KEDA models are a real check, not a formality."""
    (raw,) = of_kind(render("production-keda"), "ScaledObject")
    broken = {**raw, "spec": {**raw["spec"], "maxReplicaCount": "many"}}
    with pytest.raises(ValueError, match="maxReplicaCount"):
        ScaledObject.model_validate(broken)


def test_strict_validation_catches_a_typo() -> None:
    doc = {**named(render("dev"), "PodDisruptionBudget", "gateway")}
    doc["spec"] = {**doc["spec"], "selecter": doc["spec"]["selector"]}
    with pytest.raises(kubernetes_validate.ValidationError, match="selecter"):
        kubernetes_validate.validate(doc, K8S_VERSIONS[-1], strict=True)
