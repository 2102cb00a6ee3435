"""The browser gets every script and stylesheet from the school's own host (no CDN: schools'
networks block them), and the vendored files are really there.

This test also uses ``db``, which makes pytest-django create the test database when only
``tests/browser`` runs: the live tests reach the database through other processes and so never
ask for it themselves."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.browser


def test_pages_load_scripts_and_styles_only_from_our_static_files(db, school_a):
    html = school_a.client(school_a.admin).get("/").content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/vendor/htmx.min.js",
    ]
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "htmx" in open(finders.find("vendor/htmx.min.js")).read(200)
