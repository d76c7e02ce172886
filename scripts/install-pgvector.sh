#!/usr/bin/env bash
# Builds pgvector from Debian's source package and installs it into the local Postgres, so that
# the knowledge base's tests run its pgvector path (what the compose file's database runs) as well.
# Debian 12 ships no pgvector package; the source of Debian 13's builds against Postgres 13 and
# newer. Needs root and Debian's package archive; does nothing when pgvector is there already.
set -euo pipefail

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ -f "/usr/share/postgresql/$version/extension/vector.control" ]; then
  echo "pgvector is installed for Postgres $version"
  exit 0
fi

cat >/etc/apt/sources.list.d/conduit-pgvector-source.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$version" >/dev/null

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cd "$build"
apt-get source --download-only -qq pgvector 2>/dev/null
tar xzf pgvector_*.orig.tar.gz
cd pgvector-*/
make -s -j"$(nproc)" PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" >/dev/null
make -s install PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" >/dev/null
echo "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" vector.control) installed for Postgres $version"
