#!/bin/bash
# The container health check (template.yaml: HealthCheck): GET /health on the bridge's WebSocket
# port at the address it bound, with bash's /dev/tcp so the image needs no curl. The entrypoint
# writes that address to /tmp/stratus-bind-host.
set -eu
host="$(cat /tmp/stratus-bind-host 2>/dev/null || true)"
host="${host:-${STRATUS_BIND_HOST:-127.0.0.1}}"
exec 3<>"/dev/tcp/$host/8080"
printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
read -r -t 4 status <&3
case "$status" in
  "HTTP/1.1 200"*) exit 0 ;;
  *) exit 1 ;;
esac
