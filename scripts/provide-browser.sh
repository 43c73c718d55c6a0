#!/usr/bin/env bash
# Provide a Chromium for rendering: Playwright's own when `playwright install chromium` works,
# else the system's (`chromium` and friends), installing Debian's package when missing and root.
# Idempotent; prints what it settled on.
set -euo pipefail
venv=${1:-.venv}
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "browser: system $(command -v "$name")"; exit 0
  fi
done
if compgen -G "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}/chromium-*/chrome-linux*/chrome" >/dev/null; then
  echo "browser: Playwright-managed Chromium"; exit 0
fi
if timeout 600 "$venv/bin/playwright" install chromium >/tmp/playwright-install.log 2>&1; then
  echo "browser: Playwright-managed Chromium (just installed)"; exit 0
fi
echo "browser: 'playwright install chromium' failed (see /tmp/playwright-install.log); trying the system package"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  "$(dirname "$0")/apt-install.sh" chromium
  echo "browser: system $(command -v chromium)"; exit 0
fi
echo "error: no Chromium: install the 'chromium' package (as root) or run 'playwright install chromium'" >&2
exit 1
