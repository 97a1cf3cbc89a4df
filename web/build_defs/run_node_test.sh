#!/usr/bin/env bash
# Runs a Node test script: run_node_test.sh SCRIPT.mjs [ARGS...]
set -euo pipefail
exec node "$@"
