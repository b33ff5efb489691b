#!/bin/bash
# Starts the Stratus bridge in its container (infra/Dockerfile, the Jib image in infra/README.md).
# The task definition in template.yaml sets the variables below; deploy-check checks that every
# STRATUS_* variable read here is set there.
#
# The bridge binds one address and registers http://<that address>:<internal port> in the tasks
# table, where the functions and the other tasks reach its internal @connections endpoint. So it
# must bind the task's private (awsvpc ENI) address: never 0.0.0.0, which would register an
# address nobody can reach. STRATUS_BIND_HOST overrides the lookup.
set -euo pipefail

# The task's private address from the ECS task metadata endpoint (v4: this container's
# Networks[0].IPv4Addresses[0]), read with bash's /dev/tcp so the image needs no curl or jq.
metadata_address() {
  local uri="${ECS_CONTAINER_METADATA_URI_V4:-}" hostport path body
  [ -n "$uri" ] || return 0
  uri="${uri#http://}"
  hostport="${uri%%/*}"
  path="/${uri#*/}"
  local host="${hostport%%:*}" port=80
  [ "$host" = "$hostport" ] || port="${hostport##*:}"
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
  body="$(timeout 5 cat <&3 || true)"
  exec 3<&-
  if [[ "$body" =~ \"IPv4Addresses\":[[:space:]]*\[[[:space:]]*\"([0-9.]+)\" ]]; then
    echo "${BASH_REMATCH[1]}"
  fi
}

host="${STRATUS_BIND_HOST:-}"
if [ -z "$host" ]; then
  host="$(metadata_address)"
fi
if [ -z "$host" ]; then
  host="$(hostname -i | awk '{print $1}')"
fi
if [ -z "$host" ]; then
  echo "stratus-entrypoint: cannot find this task's private address; set STRATUS_BIND_HOST" >&2
  exit 2
fi

printf '%s\n' "$host" >/tmp/stratus-bind-host # for infra/healthcheck.sh

args=(
  --host "$host"
  --tcp-port 1883
  --ws-port 8080
  --store dynamodb
  --internal-port "${STRATUS_INTERNAL_PORT:-9090}"
)

# Users from the users table (./stratus users add); anonymous clients only when the stack says so.
args+=(--users dynamodb --allow-anonymous "${STRATUS_ALLOW_ANONYMOUS:-false}")

# An optional password file from Secrets Manager (the task definition's Secrets), in addition.
if [ -n "${STRATUS_PASSWORDS:-}" ]; then
  umask 077
  passwords="$(mktemp)"
  printf '%s\n' "$STRATUS_PASSWORDS" >"$passwords"
  unset STRATUS_PASSWORDS
  args+=(--password-file "$passwords")
fi

# ACLs: the acl table, and/or rules given inline (the AclRules parameter) written to a file.
if [ "${STRATUS_ACL_TABLE:-false}" = "true" ]; then
  args+=(--acl-store dynamodb)
fi
if [ -n "${STRATUS_ACL:-}" ]; then
  acl="$(mktemp)"
  printf '%s\n' "$STRATUS_ACL" >"$acl"
  args+=(--acl-file "$acl")
fi

# JWT bearer tokens: a Cognito user pool, or any issuer's JWKS.
if [ -n "${STRATUS_JWT_COGNITO:-}" ]; then
  args+=(--jwt-cognito "$STRATUS_JWT_COGNITO" --jwt-audience "${STRATUS_JWT_AUDIENCE:-}")
elif [ -n "${STRATUS_JWT_JWKS_URL:-}" ]; then
  args+=(--jwt-jwks-url "$STRATUS_JWT_JWKS_URL" --jwt-issuer "${STRATUS_JWT_ISSUER:-}"
    --jwt-audience "${STRATUS_JWT_AUDIENCE:-}")
fi

args+=(--max-publish-rate "${STRATUS_MAX_PUBLISH_RATE:-0}"
  --max-connections-per-user "${STRATUS_MAX_CONNECTIONS_PER_USER:-0}")

# The same JVM flags as ./stratus bridge (its bridge_java_opts; docs/bridge.md "Memory and JVM
# flags"); the image's JDK is 25, so compact object headers are a product flag.
# -XX:MaxRAMPercentage: the heap may use 70% of the task's memory; the rest is direct buffers,
# thread stacks and the JVM itself.
exec java -XX:+UseSerialGC -Xmn8m -XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=70 \
  -XX:+ExitOnOutOfMemoryError ${STRATUS_JAVA_OPTS:-} \
  -cp /opt/stratus/stratus-bridge.jar dev.stratus.bridge.BridgeMain "${args[@]}" "$@"
