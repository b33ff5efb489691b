#!/bin/bash
# The container health check (template.yaml: HealthCheck): GET /health on the bridge's WebSocket
# port at the address it bound (infra/bridge-entrypoint.sh), with bash's /dev/tcp so the image
# needs no curl.
set -eu
host="${STRATUS_BIND_HOST:-$(hostname -i | awk '{print $1}')}"
exec 3<>"/dev/tcp/$host/8080"
printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
read -r -t 4 status <&3
case "$status" in
  "HTTP/1.1 200"*) exit 0 ;;
  *) exit 1 ;;
esac
