#!/usr/bin/env bash
# Install the Debian packages a target needs, only those missing. Usage: system-deps.sh base|demo|test
set -euo pipefail

case "${1:-base}" in
  base) wanted=(python3-venv) ;;
  # WeasyPrint renders PDFs with Pango and HarfBuzz; official documents need CJK fonts.
  demo) wanted=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk) ;;
  test) wanted=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
                poppler-utils chromium) ;;
  *) echo "unknown target: $1" >&2; exit 2 ;;
esac
# In CI, nginx for the deployment test (deploy/nginx-qinqing.conf on loopback; elsewhere that test
# is skipped, saying so: on a workstation the package would also start a web server on port 80).
if [[ -n ${CI:-} && ${1:-base} == test ]]; then
  wanted+=(nginx-light)
fi
# On PostgreSQL, `qinqing backup` and `restore` (and their tests) run pg_dump and pg_restore.
if [[ ${DATABASE_URL:-} == postgres* && ${1:-base} != base ]] && ! command -v pg_dump >/dev/null; then
  wanted+=(postgresql-client)
fi

missing=()
for pkg in "${wanted[@]}"; do
  # python3-venv is only needed when this Python cannot make a venv with pip by itself.
  if [[ $pkg == python3-venv ]] && python3 -c 'import ensurepip, venv' 2>/dev/null; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
