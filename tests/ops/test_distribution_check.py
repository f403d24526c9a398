"""scripts/check_distribution.py: the keys that block distributing by organization_id, read from the live schema."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.ops.procs import ROOT

SCRIPT = ROOT / "scripts" / "check_distribution.py"


def _module():
    spec = importlib.util.spec_from_file_location("check_distribution", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_distribution", module)
    spec.loader.exec_module(module)
    return module


def test_the_live_schema_has_no_new_blockers_and_the_new_tables_are_ready(database_url, app):
    result = subprocess.run([sys.executable, str(SCRIPT), "--url", database_url, "--json"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert {"jobs", "api_rate_limits", "order_sequences", "order_facet_counts"} <= set(report["ready"])
    found = {(b["table"], b["kind"], b["columns"]) for b in report["blockers"]}
    assert ("orders", "primary key", "id") in found
    assert ("users", "unique", "email") in found
    assert ("product_prices", "no organization_id", "") in found
    assert all(b["known"] for b in report["blockers"])
    assert not any(b["table"] in ("jobs", "api_rate_limits") for b in report["blockers"])


def test_a_new_key_without_organization_id_fails_the_check(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/new.sqlite3"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE widgets (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, "
                          "code TEXT UNIQUE)"))
        conn.execute(text("CREATE TABLE gadgets (organization_id TEXT, id TEXT, PRIMARY KEY (organization_id, id))"))
        # Into a table already keyed by organization: the key could have included it.
        conn.execute(text("CREATE TABLE parts (organization_id TEXT, id TEXT, gadget_id TEXT REFERENCES gadgets (id), "
                          "widget_id TEXT REFERENCES widgets (id), PRIMARY KEY (organization_id, id))"))
    engine.dispose()
    assert _module().main(["--url", url]) == 1
    out = capsys.readouterr().out
    assert "NEW widgets" in out and "(id)" in out and "(code)" in out
    assert "NEW parts" in out and "(gadget_id)" in out
    # Into a table whose own key lacks it: that table's blocker comes first.
    assert "follows widgets's key" in out and "NEW parts                foreign key" in out
    assert "Ready to distribute by organization_id (1): gadgets" in out
