#!/usr/bin/env bash
# The SmartEdu image's roles. Each long-running role replaces this shell (exec), so SIGTERM from
# the orchestrator reaches daphne or Celery directly: daphne stops accepting and lets open
# requests finish, Celery finishes its running tasks (warm shutdown) before it exits.
#
#   web          daphne on 0.0.0.0:8000, one process per container (scale with replicas)
#   worker-cpu   Celery worker for the ingest queue (SMARTEDU_WORKER_QUEUES to add gpu)
#   worker-gpu   Celery worker for the gpu queue (embeddings, generation, tutor answers)
#   beat         Celery beat, its schedule file in a writable volume
#   migrate      shared schema migrations, then every school's, then exit
#   manage ...   any manage.py command
#   healthcheck  the container's health: used by the image's HEALTHCHECK
set -euo pipefail

role="${1:-}"
if [ "$#" -gt 0 ]; then
    shift
fi

prepare_metrics_dir() {
    # Left-over files of a previous container's processes would be counted as live.
    rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"/* 2>/dev/null || true
    mkdir -p "${PROMETHEUS_MULTIPROC_DIR}"
}

# The health check runs as a separate process: it learns the container's role from this file.
role_file="${SMARTEDU_ROLE_FILE:-/tmp/smartedu-role}"

remember_role() {
    echo "$1" > "$role_file" 2>/dev/null || true
}

# A Celery worker: default queues, default pool size and host name from its role; the rest
# of the arguments go to celery.
start_worker() {
    queues="$1"
    concurrency="$2"
    shift 2
    remember_role worker
    prepare_metrics_dir
    export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
    exec celery -A smartedu worker --queues "${SMARTEDU_WORKER_QUEUES:-$queues}" \
        --concurrency "${SMARTEDU_WORKER_CONCURRENCY:-$concurrency}" --hostname "$queues@%h" \
        --loglevel "${LOG_LEVEL:-INFO}" "$@"
}

case "$role" in
    web)
        remember_role web
        prepare_metrics_dir
        exec daphne --bind 0.0.0.0 --port "${SMARTEDU_WEB_PORT:-8000}" --proxy-headers \
            smartedu.asgi:application "$@"
        ;;
    worker-cpu)
        start_worker ingest 2 "$@"
        ;;
    worker-gpu)
        start_worker gpu 1 "$@"
        ;;
    beat)
        remember_role beat
        schedule="${SMARTEDU_BEAT_SCHEDULE:-/var/lib/smartedu/beat/celerybeat-schedule}"
        mkdir -p "$(dirname "$schedule")"
        exec celery -A smartedu beat --schedule "$schedule" --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    migrate)
        remember_role migrate
        python manage.py migrate_schemas --shared --noinput
        exec python manage.py migrate_schools --skip-shared --processes "${SMARTEDU_MIGRATION_PROCESSES:-2}" "$@"
        ;;
    manage)
        remember_role manage
        exec python manage.py "$@"
        ;;
    healthcheck)
        case "$(cat "$role_file" 2>/dev/null || true)" in
            web) url="http://127.0.0.1:${SMARTEDU_WEB_PORT:-8000}/health" ;;
            worker) url="http://127.0.0.1:${SMARTEDU_WORKER_METRICS_PORT:-9808}/metrics" ;;
            *) exit 0 ;;
        esac
        exec python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)' "$url"
        ;;
    *)
        echo "docker-entrypoint.sh: unknown role '${role}'." >&2
        echo "Use one of: web, worker-cpu, worker-gpu, beat, migrate, manage <command>." >&2
        exit 64
        ;;
esac
