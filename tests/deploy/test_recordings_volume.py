"""Recording where it is deployed: compose and every Kubernetes overlay give ingest one writable,
persistent recordings volume (shared by all its replicas) at the path its settings read, and nothing
else writable but a scratch /tmp."""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.ingest.recording.settings import RecordingSettings
from tests.deploy.support import OVERLAYS, Doc, named, of_kind, render
from tests.deploy.test_compose import model
from tests.deploy.test_k8s import container, env_of

PREFIX = str(RecordingSettings.model_config.get("env_prefix", ""))
RECORDINGS_ENV = f"{PREFIX}RECORDINGS_DIR"
BUDGET_ENV = f"{PREFIX}DISK_BUDGET_BYTES"
_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMGTP]i)?", quantity).groups()  # type: ignore[union-attr]
    return int(number) * _UNITS[unit or ""]


def test_settings_read_the_variables_the_manifests_set() -> None:
    assert set(RecordingSettings.model_fields) >= {"recordings_dir", "disk_budget_bytes"}
    settings = RecordingSettings.model_validate({})
    assert PREFIX == "CITYOPS_INGEST_"
    # The default (a directory of the checkout) is read-only in a container: deployments must set it.
    assert str(settings.recordings_dir).endswith(".run/recordings")


def test_compose_ingest_writes_only_to_its_recordings_volume_and_tmp() -> None:
    m = model()
    ingest = m["services"]["ingest"]
    path = ingest["environment"][RECORDINGS_ENV]
    assert path.startswith("/var/lib/")
    assert ingest["read_only"] is True
    assert ingest["tmpfs"] == ["/tmp"]
    mounts = ingest.get("volumes", [])
    writable = [v for v in mounts if not v.get("read_only")]
    assert [(v["type"], v["target"]) for v in writable] == [("volume", path)], mounts
    # A named volume, not a bind of one host's directory: every `--scale ingest=N` replica mounts it.
    assert writable[0]["source"] in m["volumes"]


def _claims(docs: tuple[Doc, ...]) -> dict[str, Doc]:
    return {c["metadata"]["name"]: c for c in of_kind(docs, "PersistentVolumeClaim")}


def _max_replicas(docs: tuple[Doc, ...], deployment: Doc) -> int:
    most = int(deployment["spec"].get("replicas", 1))
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]:
            most = max(most, int(hpa["spec"]["maxReplicas"]))
    return most


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_ingest_mounts_one_claim_for_all_replicas_and_keeps_the_root_read_only(overlay: str) -> None:
    docs = render(overlay)
    deployment = named(docs, "Deployment", "ingest")
    pod = deployment["spec"]["template"]["spec"]
    c = container(deployment)
    env: dict[str, Any] = env_of(docs, c)
    path = env[RECORDINGS_ENV]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True

    volumes = {v["name"]: v for v in pod["volumes"]}
    writable = {m["mountPath"]: volumes[m["name"]] for m in c["volumeMounts"] if not m.get("readOnly")}
    assert set(writable) == {path, "/tmp"}, writable
    assert "emptyDir" in writable["/tmp"]
    claim_name = writable[path]["persistentVolumeClaim"]["claimName"]
    claim = _claims(docs)[claim_name]
    # The pods run as group 10001: fsGroup makes the volume theirs.
    assert pod["securityContext"]["fsGroup"] == 10001

    if _max_replicas(docs, deployment) > 1:
        # Several replicas, possibly on several nodes, write and read the same footage.
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"], overlay
        assert claim["spec"].get("storageClassName"), f"{overlay}: RWX needs a class that offers it"
    else:
        assert set(claim["spec"]["accessModes"]) <= {"ReadWriteOnce", "ReadWriteMany"}
    # The sweeper frees space before the volume is full.
    size = _bytes(claim["spec"]["resources"]["requests"]["storage"])
    assert 0.5 * size < int(env[BUDGET_ENV]) < size, (overlay, env[BUDGET_ENV], size)


def test_production_runs_several_ingest_replicas_on_the_shared_claim() -> None:
    docs = render("production")
    assert _max_replicas(docs, named(docs, "Deployment", "ingest")) > 1
    assert _claims(docs)["ingest-recordings"]["spec"]["accessModes"] == ["ReadWriteMany"]
