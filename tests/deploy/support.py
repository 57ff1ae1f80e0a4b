"""What the deploy tests share: rendering the overlays, the settings the code reads, label matching."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo

from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production", "production-keda")
BIN = Path(sys.executable).parent
LOOPBACK = ("127.0.0.1", "localhost")

Doc = dict[str, Any]


def tool(name: str, install: str) -> str:
    """Path of a command-line tool, or a failure that says how to get it."""
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        raise AssertionError(f"`{name}` is not installed: {install}")
    return str(path)


@cache
def render(overlay: str) -> tuple[Doc, ...]:
    kubectl = tool(
        "kubectl",
        "it ships with this machine image; elsewhere install kubectl >= 1.27 (it embeds kustomize), "
        "e.g. `apt-get install kubectl` from the Kubernetes apt repository",
    )
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kustomize {overlay} failed:\n{result.stderr}"
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def of_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: tuple[Doc, ...], kind: str, name: str) -> Doc:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert found, f"no {kind} {name} rendered"
    return found[0]


def matches(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics (matchLabels + matchExpressions); {} matches all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


# --- what the code reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvSetting:
    field: str
    env: str
    default: Any


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    settings: dict[str, EnvSetting]

    def env(self, field: str) -> str:
        return self.settings[field].env

    def required(self) -> list[EnvSetting]:
        """Variables a container must set: connection URLs, HOST/PORT, and any field whose default
        points at loopback (which inside a container is the container itself)."""
        always = {"nats_url", "database_url", "host", "port"}
        return [
            s
            for s in self.settings.values()
            if s.field in always or (isinstance(s.default, str) and any(h in s.default for h in LOOPBACK))
        ]


def _env_name(cls: type[ServiceSettings], name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if alias is not None:
        choices = getattr(alias, "choices", [alias])
        return str(choices[0])
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


@cache
def services() -> tuple[ServiceSpec, ...]:
    """Every service under services/ with the env variables its settings class reads."""
    specs = []
    for settings_py in sorted((ROOT / "services").glob("*/settings.py")):
        name = settings_py.parent.name
        module = importlib.import_module(f"services.{name}.settings")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, ServiceSettings) and obj is not ServiceSettings
        ]
        assert len(classes) == 1, f"services/{name}/settings.py should define one ServiceSettings subclass"
        cls = classes[0]
        fields = {
            field_name: EnvSetting(field_name, _env_name(cls, field_name, info), info.default)
            for field_name, info in cls.model_fields.items()
        }
        specs.append(ServiceSpec(name, int(fields["port"].default), fields))
    assert specs, "no services found"
    return tuple(specs)
