#!/usr/bin/env bash
# A local Citus 13 cluster for Tessera: three PostgreSQL 15 clusters on this machine, a
# coordinator and two workers (run as root, Debian's postgresql-common tools).
#
#   scripts/citus_cluster.sh build          build + install Citus from ../shared/citus if missing
#   scripts/citus_cluster.sh up             build if needed, create/configure/start the 3 clusters,
#                                           CREATE EXTENSION citus, register the workers
#   scripts/citus_cluster.sh createdb NAME  (re)create database NAME on every node, with citus
#                                           and the workers registered in it
#   scripts/citus_cluster.sh tessera NAME   up, then a fresh database NAME migrated by `tessera db
#                                           upgrade` (every table distributed as it is created)
#   scripts/citus_cluster.sh dropdb NAME    drop database NAME on every node
#   scripts/citus_cluster.sh status         clusters and the coordinator's worker list
#   scripts/citus_cluster.sh down           stop the three clusters
#   scripts/citus_cluster.sh destroy        stop and drop them
#
# Environment: CITUS_PORTS="5440 5441 5442" (coordinator first), CITUS_NAMES="citus_coord
# citus_w1 citus_w2" (pg_createcluster names, same order), CITUS_FORCE_BUILD=1 (build and install
# even if citus.so is there). Every step is idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared/citus"
PG_VERSION=15
CITUS_VERSION=13.2.2
CITUS_SO="/usr/lib/postgresql/$PG_VERSION/lib/citus.so"
HOST=127.0.0.1

read -r -a PORTS <<< "${CITUS_PORTS:-5440 5441 5442}"
read -r -a NAMES <<< "${CITUS_NAMES:-citus_coord citus_w1 citus_w2}"
if [ "${#PORTS[@]}" -ne 3 ] || [ "${#NAMES[@]}" -ne 3 ]; then
    echo "CITUS_PORTS and CITUS_NAMES must each hold three values (coordinator first)" >&2
    exit 2
fi
COORD_PORT="${PORTS[0]}"

log() { echo "citus_cluster: $*" >&2; }

# psql against one node, as postgres over TCP (trust), stop on the first error.
psql_node() {  # PORT DB [psql args...]
    local port="$1" db="$2"
    shift 2
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$port" -U postgres -d "$db" "$@"
}

cluster_exists() {  # NAME: registered with postgresql-common
    pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v n="$1" '$1 == v && $2 == n {found = 1} END {exit !found}'
}

# pg_dropcluster leaves /etc/postgresql/15/NAME behind when it holds files of ours (conf.d/citus.conf):
# remove such a leftover (no postgresql.conf in it) so that pg_createcluster can run again.
remove_leftover_conf() {  # NAME
    local dir="/etc/postgresql/$PG_VERSION/$1"
    if ! cluster_exists "$1" && [ -d "$dir" ] && [ ! -f "$dir/postgresql.conf" ]; then
        rm -rf -- "$dir"
    fi
}

cluster_online() {  # NAME
    pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v n="$1" '$1 == v && $2 == n {print $4}' | grep -q online
}

cmd_build() {
    if [ -f "$CITUS_SO" ] && [ -z "${CITUS_FORCE_BUILD:-}" ]; then
        log "Citus already installed ($CITUS_SO)"
        return
    fi
    local tarball="$SHARED/citus-$CITUS_VERSION.tar.gz" patchfile="$SHARED/pg15-minor.patch"
    [ -f "$tarball" ] || { echo "missing $tarball" >&2; exit 1; }
    local packages=(postgresql-server-dev-$PG_VERSION libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev)
    log "installing build dependencies"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
    fi
    BUILD_DIR="$(mktemp -d /tmp/citus-build.XXXXXX)"  # global: the EXIT trap runs after locals are gone
    trap 'rm -rf -- "$BUILD_DIR"' EXIT
    local work="$BUILD_DIR"
    log "building Citus $CITUS_VERSION in $work (about 6 minutes on 2 cores)"
    (
        cd "$work"
        tar xzf "$tarball"
        cd "citus-$CITUS_VERSION"
        patch -p1 < "$patchfile"
        ./configure
        make -j"$(nproc)"
        make install
    )
    rm -rf "$work"
    [ -f "$CITUS_SO" ] || { echo "build finished but $CITUS_SO is missing" >&2; exit 1; }
    log "installed $CITUS_SO"
}

# Settings every node needs; written to conf.d so postgresql.conf stays Debian's.
write_conf() {  # NAME PORT -> prints "changed" if the file changed
    local name="$1" port="$2"
    local dir="/etc/postgresql/$PG_VERSION/$name/conf.d" file
    file="$dir/citus.conf"
    mkdir -p "$dir"
    local want
    want="# written by scripts/citus_cluster.sh
port = $port
listen_addresses = '$HOST'
shared_preload_libraries = 'citus'
shared_buffers = 128MB
max_connections = 200
# a background worker per database that has the citus extension (its maintenance daemon)
max_worker_processes = 32
# Citus commits multi-node writes with two-phase commit
max_prepared_transactions = 200
# logical replication is how Citus moves shards (rebalancer, citus_move_shard_placement)
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
# SET LOCAL app.* / role inside a transaction block reach the workers' sessions too
citus.propagate_set_commands = 'local'
"
    if [ ! -f "$file" ] || [ "$(cat "$file")" != "$(printf '%s' "$want")" ]; then
        printf '%s' "$want" > "$file"
        chown postgres:postgres "$file"
        echo changed
    fi
}

write_hba() {  # NAME: trust for local sockets and 127.0.0.1
    local file="/etc/postgresql/$PG_VERSION/$1/pg_hba.conf"
    local want="# written by scripts/citus_cluster.sh: a local test cluster, trust only on this machine
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
"
    if [ "$(cat "$file")" != "$(printf '%s' "$want")" ]; then
        printf '%s' "$want" > "$file"
        chown postgres:postgres "$file"
        echo changed
    fi
}

wait_ready() {  # PORT
    local i
    for i in $(seq 1 60); do
        if pg_isready -q -h "$HOST" -p "$1"; then return 0; fi
        sleep 0.5
    done
    echo "node on port $1 did not become ready" >&2
    exit 1
}

# citus extension in DB on every node; the coordinator told its host and the workers added.
register_nodes() {  # DB
    local db="$1" i
    for i in 0 1 2; do
        psql_node "${PORTS[$i]}" "$db" -c "CREATE EXTENSION IF NOT EXISTS citus"
    done
    psql_node "$COORD_PORT" "$db" -c "SELECT citus_set_coordinator_host('$HOST', $COORD_PORT)" >/dev/null
    for i in 1 2; do
        psql_node "$COORD_PORT" "$db" -c "
SELECT citus_add_node('$HOST', ${PORTS[$i]})
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_node WHERE nodename = '$HOST' AND nodeport = ${PORTS[$i]})" >/dev/null
    done
}

cmd_up() {
    cmd_build
    local i name port changed
    for i in 0 1 2; do
        name="${NAMES[$i]}" port="${PORTS[$i]}"
        remove_leftover_conf "$name"
        if ! cluster_exists "$name"; then
            log "creating cluster $PG_VERSION/$name on port $port"
            pg_createcluster "$PG_VERSION" "$name" -p "$port" >/dev/null
        fi
        changed="$(write_conf "$name" "$port")$(write_hba "$name")"
        if cluster_online "$name"; then
            if [ -n "$changed" ]; then
                log "restarting $name (configuration changed)"
                pg_ctlcluster "$PG_VERSION" "$name" restart
            fi
        else
            log "starting $name"
            pg_ctlcluster "$PG_VERSION" "$name" start
        fi
        wait_ready "$port"
    done
    register_nodes postgres
    # Tessera's roles (migrations/tenant_rls.py), able to log in: the coordinator connects to the
    # workers as the transaction's role. Made here once, so databases migrated side by side (the
    # tests' workers) never race to change them.
    psql_node "$COORD_PORT" postgres -c "
DO \$\$
BEGIN
  BEGIN CREATE ROLE tessera_app LOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE tessera_platform LOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END \$\$" -c "ALTER ROLE tessera_app LOGIN" -c "ALTER ROLE tessera_platform LOGIN"
    cmd_status
    echo "postgresql+psycopg://postgres@$HOST:$COORD_PORT/postgres"
}

check_db_name() {  # NAME
    if ! [[ "$1" =~ ^[a-z_][a-z0-9_]*$ ]] || [ "$1" = postgres ] || [[ "$1" == template* ]]; then
        echo "usage: $0 createdb|dropdb NAME   (lower-case letters, digits, _; not postgres/template*)" >&2
        exit 2
    fi
    local i
    for i in 0 1 2; do
        pg_isready -q -h "$HOST" -p "${PORTS[$i]}" || { echo "node on port ${PORTS[$i]} is down: run '$0 up'" >&2; exit 1; }
    done
}

# One statement on every node, in the given order of node indexes, with Citus's database
# propagation off so that each node does exactly this.
on_each_node() {  # "INDEXES" SQL
    local i
    for i in $1; do
        psql_node "${PORTS[$i]}" postgres -c "SET citus.enable_create_database_propagation = off" -c "$2"
    done
}

cmd_dropdb() {
    local db="${1:-}"
    check_db_name "$db"
    # workers first (and a database left on a worker by a failed run is dropped too)
    on_each_node "2 1 0" "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}

cmd_createdb() {
    local db="${1:-}"
    cmd_dropdb "$db"
    on_each_node "0 1 2" "CREATE DATABASE $db"
    register_nodes "$db"
    psql_node "$COORD_PORT" "$db" -c "SELECT nodename, nodeport, noderole, isactive FROM pg_dist_node ORDER BY nodeport"
    echo "postgresql+psycopg://postgres@$HOST:$COORD_PORT/$db"
}

cmd_tessera() {
    local db="${1:-}" url tessera="$ROOT/.venv/bin/tessera"
    [ -x "$tessera" ] || tessera="$(command -v tessera)" || { echo "no tessera command: install Tessera first" >&2; exit 1; }
    cmd_up >/dev/null
    url="$(cmd_createdb "$db" | tail -1)"
    TESSERA_DATABASE_URL="$url" "$tessera" db upgrade >&2
    psql_node "$COORD_PORT" "$db" -c "
SELECT CASE partmethod WHEN 'h' THEN 'distributed by tenant_id' ELSE 'reference' END AS tables, count(*)
FROM pg_dist_partition GROUP BY 1 ORDER BY 1" >&2
    echo "$url"
}

cmd_down() {
    local name
    for name in "${NAMES[@]}"; do
        if cluster_online "$name"; then
            log "stopping $name"
            pg_ctlcluster "$PG_VERSION" "$name" stop
        fi
    done
}

cmd_destroy() {
    local name
    for name in "${NAMES[@]}"; do
        if cluster_exists "$name"; then
            log "dropping $name"
            pg_dropcluster --stop "$PG_VERSION" "$name"
        fi
        remove_leftover_conf "$name"
    done
}

cmd_status() {
    local i
    if [ -f "$CITUS_SO" ]; then echo "citus: installed ($CITUS_SO)"; else echo "citus: not built"; fi
    for i in 0 1 2; do
        if ! cluster_exists "${NAMES[$i]}"; then
            echo "${NAMES[$i]} (port ${PORTS[$i]}): absent"
        elif cluster_online "${NAMES[$i]}"; then
            echo "${NAMES[$i]} (port ${PORTS[$i]}): online"
        else
            echo "${NAMES[$i]} (port ${PORTS[$i]}): down"
        fi
    done
    if pg_isready -q -h "$HOST" -p "$COORD_PORT" 2>/dev/null \
        && psql_node "$COORD_PORT" postgres -tAc "SELECT 1 FROM pg_extension WHERE extname = 'citus'" | grep -q 1; then
        psql_node "$COORD_PORT" postgres -c "SELECT citus_version()" \
            -c "SELECT nodeid, nodename, nodeport, groupid, noderole, isactive FROM pg_dist_node ORDER BY nodeport"
    fi
}

usage() {
    sed -n '2,/^set /{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up ;;
    createdb) shift; cmd_createdb "$@" ;;
    dropdb) shift; cmd_dropdb "$@" ;;
    tessera) shift; cmd_tessera "$@" ;;
    down) cmd_down ;;
    destroy) cmd_destroy ;;
    status) cmd_status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
