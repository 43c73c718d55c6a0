"""A capped crawl after a full one, into the same output folder: it is marked partial and reports
no lost link (the pages it did not fetch are "not checked"), in its summary, its report, its
link_change records and the warehouse's views; the next full crawl compares with the full one."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from tests.conftest import ROOT, demo_settings, run_crawl


def crawl(demo_web, out, crawl_id, **args):
    result = run_crawl(
        {"target": "brewbird.io", "seeds": ",".join(demo_web.seeds), "depth": "2", "render": "never", **args},
        out,
        {**demo_settings(demo_web), "CRAWL_ID": crawl_id},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_a_capped_crawl_loses_no_link(demo_web, tmp_path):
    out = tmp_path / "output"
    crawl(demo_web, out, "full-1")
    capped = crawl(demo_web, out, "capped-2", max_pages="8")
    (summary,) = [s for s in capped.records("summary") if s["crawl_id"] == "capped-2"]
    assert summary["partial"] is True
    assert summary["partial_reasons"][0].startswith("capped by MAX_PAGES: ")
    changes = [c for c in capped.records("link_change") if c["crawl_id"] == "capped-2"]
    assert changes and {c["change"] for c in changes} == {"not_checked"}
    assert all(c["previous_crawl_id"] == "full-1" for c in changes)
    report = (out / "reports" / "capped-2.html").read_text(encoding="utf-8")
    assert "Partial crawl</strong>: capped by MAX_PAGES" in report and "0</strong> lost" in report

    # the next full crawl is compared with the last complete one, not with the capped one
    crawl(demo_web, out, "full-3")
    database = tmp_path / "warehouse.duckdb"
    load = subprocess.run(
        [sys.executable, "-m", "pipelines.warehouse.load", str(out), "--duckdb", str(database)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert load.returncode == 0, load.stderr
    with duckdb.connect(str(database), read_only=True) as connection:
        crawls = connection.execute("SELECT crawl_id, partial FROM crawls ORDER BY started_at").fetchall()
        lost = connection.execute("SELECT count(*) FROM link_changes WHERE change = 'lost'").fetchone()
        previous = connection.execute(
            "SELECT DISTINCT previous_crawl_id FROM link_change WHERE crawl_id = 'full-3'"
        )
        previous_ids = previous.fetchall()
    assert crawls == [("full-1", False), ("capped-2", True), ("full-3", False)]
    assert lost == (0,)
    assert previous_ids in ([], [("full-1",)])  # nothing changed between the full crawls, or vs full-1
