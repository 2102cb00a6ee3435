"""The web app is light on import: serving pages, the API and websockets never loads torch or
sentence-transformers; only the first local embedding does (in the process that needs it)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "sentence_transformers", "transformers")

PROGRAM = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartedu.settings")
import django
django.setup()
import smartedu.urls_tenant, smartedu.urls_public, smartedu.asgi
import ai.embeddings, ai.llm
from ai.embeddings import embedder, embedding_model_name
from ai.llm import chat_provider
name, built, chat = embedding_model_name(), embedder().name, chat_provider()
print(json.dumps({
    "loaded": sorted(m for m in %r if m in sys.modules),
    "name": name,
    "built": built,
    "chat": chat is None,
}))
"""


def test_importing_the_web_app_does_not_load_torch_or_sentence_transformers():
    # The check would pass vacuously if the packages were not installed at all.
    assert all(importlib.util.find_spec(name) is not None for name in HEAVY)
    env = {
        **os.environ,
        "EMBEDDING_PROVIDER": "local",
        "EMBEDDING_MODEL": "all-MiniLM-L6-v2",
        "LLM_PROVIDER": "offline",
    }

    result = subprocess.run(
        [sys.executable, "-c", PROGRAM % (HEAVY,)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "loaded": [],
        "name": "local/all-MiniLM-L6-v2",
        "built": "local/all-MiniLM-L6-v2",
        "chat": True,
    }
