#!/bin/sh
# `beforeafter serve` end to end over HTTPS on loopback: sessions, roles,
# CSRF, limits, uploads, thumbnails, the access log and a clean stop
# (tests/e2e/serve_api.py holds the steps).
set -eu
. "$(dirname "$0")/lib.sh"
$PY "$E2E_DIR/serve_api.py" "$BA" "$T" "$BA_SOURCE_DIR/samples"
