#!/bin/sh
# The web app in a real browser (issue 15): headless Chromium through
# Selenium, with a fake camera playing a sample photo, against a `serve` on
# loopback with a fresh library (tests/e2e/web/journeys.py holds the steps).
# Screenshots of every screen at 1024x768 and 390x844 are kept in
# BA_WEB_ARTIFACTS (default: test-artifacts/web/ next to the binary).
set -eu
. "$(dirname "$0")/lib.sh"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the source tree
for tool in /usr/bin/chromium /usr/bin/chromedriver exiftool openssl; do
    command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
$PY -c 'import selenium, PIL, numpy' || fail "python3-selenium, python3-pil, python3-numpy missing"
: "${BA_WEB_ARTIFACTS:=$(cd "$(dirname "$BA")" && pwd)/test-artifacts/web}"
rm -rf "$BA_WEB_ARTIFACTS"
mkdir -p "$BA_WEB_ARTIFACTS"
export BA_WEB_ARTIFACTS
# Chromium's own temp files and crash dumps stay in $T.
HOME=$T TMPDIR=$T $PY "$E2E_DIR/web/journeys.py" "$BA" "$T" "$BA_SOURCE_DIR/samples" \
    "$BA_WEB_ARTIFACTS"
