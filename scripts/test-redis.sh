# Sourced by the test scripts: start_test_redis starts a private redis-server on a free port in a
# temp dir (stopped when the script exits) and exports TEST_REDIS_URL, unless it is already set.
start_test_redis() {
  [ -n "${TEST_REDIS_URL:-}" ] && return 0
  _test_redis_dir="$(mktemp -d)"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$_test_redis_dir" --save "" --appendonly no \
    --daemonize yes --pidfile "$_test_redis_dir/redis.pid" --logfile "$_test_redis_dir/redis.log" >/dev/null
  trap stop_test_redis EXIT
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export TEST_REDIS_URL="redis://127.0.0.1:${port}/0"
}

stop_test_redis() {
  kill "$(cat "$_test_redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null || true
  rm -rf "$_test_redis_dir"
}
