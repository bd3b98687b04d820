#!/usr/bin/env bash
# Makes sure what the tests talk to is installed and running, on a fresh machine or an old one:
# Debian's XGBoost (the reference for model format and predictions) and PostgreSQL on 127.0.0.1:5432.
# The S3-compatible server is started by the tests themselves (s3rver, from npm), and so are
# redis-server and nginx (installed below).
set -euo pipefail

if ! /usr/bin/python3 -c "import xgboost, sklearn, pandas" 2>/dev/null; then
  echo "test-services: installing python3-xgboost, python3-sklearn, python3-pandas (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-xgboost python3-sklearn python3-pandas >/dev/null
fi

# The dashboard's browser tests drive Debian's Chromium through playwright-core (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "test-services: installing chromium (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# The fleet tests (test/fleet) start their own Debian redis-server and nginx on free ports; installed
# here only (no service of the machine's is started or used).
if [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/sbin/nginx ]; then
  echo "test-services: installing redis-server, nginx-light (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server nginx-light >/dev/null
fi

# The /metrics test checks the exposition with Prometheus's own linter (`promtool check metrics`).
# Installing the package does not start a Prometheus server.
if [ ! -x /usr/bin/promtool ]; then
  echo "test-services: installing prometheus (Debian, for promtool)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "test-services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "test-services: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
