#!/usr/bin/env bash
# Builds pgvector from Debian's source package and installs it into the local Postgres, so that
# the knowledge base's tests run its pgvector path (what the compose file's database runs) as well.
# Debian 12 ships no pgvector package; the source of Debian 13's builds against Postgres 13 and
# newer. Needs root and Debian's package archive; does nothing when pgvector is there already.
set -euo pipefail

# The major version of the server answering on the default port, not the newest one installed.
version=$(($(psql -h 127.0.0.1 -U postgres -Atc 'show server_version_num') / 10000))
if [ -f "/usr/share/postgresql/$version/extension/vector.control" ]; then
  echo "pgvector is installed for Postgres $version"
  exit 0
fi

install_headers() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$version" >/dev/null; }
install_headers || { apt-get update -qq && install_headers; }

# Debian 13's source list, for this download only: removed again whatever happens, so that no
# later `apt-get update` depends on it.
sources=/etc/apt/sources.list.d/conduit-pgvector-source.sources
build=$(mktemp -d)
trap 'rm -rf "$build" "$sources"' EXIT
printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: trixie' 'Components: main' \
  'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$sources"
apt-get update -qq
cd "$build"
apt-get source --download-only -qq pgvector
tar xzf pgvector_*.orig.tar.gz
cd pgvector-*/
pg_config="/usr/lib/postgresql/$version/bin/pg_config"
make -s -j"$(nproc)" PG_CONFIG="$pg_config" >/dev/null
make -s install PG_CONFIG="$pg_config" >/dev/null
echo "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" vector.control) installed for Postgres $version"
