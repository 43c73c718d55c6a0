"""Each default is written once, in settings.py, and the README's settings reference is generated from it."""

import re
from pathlib import Path

from backlink_spider import settingsdoc
from backlink_spider.settingsdoc import SCRAPY_DEFAULTS, read_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Names in backticks in the README that are not settings of this project or of Scrapy, and why.
NOT_SETTINGS = {
    "HTTPS_PROXY": "an environment variable of the proxy example",
    "SCRAPYD_USERNAME": "an environment variable read by the deploy example",
    "SCRAPYD_PASSWORD": "an environment variable read by the deploy example",
    "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": "a scrapy-playwright setting left at its default",
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": "scrapy-playwright's, refused (RENDER_CONCURRENCY)",
    "PLAYWRIGHT_MAX_CONTEXTS": "scrapy-playwright's, refused (RENDER_CONCURRENCY)",
}


def test_readme_settings_reference_is_up_to_date():
    expected = settingsdoc.updated_readme(README, settingsdoc.reference(read_settings()))
    assert expected == README, "run `python -m backlink_spider.settingsdoc`"


def test_every_project_setting_says_what_it_is_for():
    undocumented = [d.name for d in read_settings() if not d.meaning]
    assert undocumented == [], "add a comment above these in backlink_spider/settings.py"


def test_every_setting_the_readme_names_exists():
    names = {d.name for d in read_settings()}
    named = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`", README))
    unknown = sorted(n for n in named - names - SCRAPY_DEFAULTS if n not in NOT_SETTINGS)
    assert unknown == []


def test_no_module_writes_a_fallback_default():
    """`settings.getint("NAME", 5)` would be a second default: components read settings.py's."""
    fallback = re.compile(r"""\b(?:get\w*|_\w+)\((?:settings, )?["'][A-Z][A-Z0-9_]+["'],\s*[^)\s]""")
    found = []
    for path in sorted([*ROOT.glob("backlink_spider/**/*.py"), *ROOT.glob("pipelines/**/*.py")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if fallback.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_a_comment_applies_to_the_run_of_settings_under_it(tmp_path):
    settings_py = tmp_path / "settings.py"
    settings_py.write_text(
        "# --- output ---\n"
        "# Where records go.\n"
        "OUTPUT_DIR = 'output'\n"
        "OUTPUT_ROTATE_BYTES = 256 * 1024\n"
        "\n"
        "DOWNLOAD_TIMEOUT = 30\n"
        "MY_OWN = []\n",
        encoding="utf-8",
    )
    rows = [(d.name, d.default, d.meaning, d.section) for d in read_settings(settings_py)]
    assert rows == [
        ("OUTPUT_DIR", '`"output"`', "Where records go.", "output"),
        ("OUTPUT_ROTATE_BYTES", "`256 * 1024`", "(as above)", "output"),
        ("DOWNLOAD_TIMEOUT", "`30`", "Scrapy's own setting, with the project's value", "output"),
        ("MY_OWN", "empty", "", "output"),
    ]
