#!/usr/bin/env bash
# Runs every test of SlotEngine on a fresh machine: installs what the tests need (redis-server
# and chromium from Debian packages), builds the solution, runs all test projects, then proves that the
# packages install, that the load generator runs on both backends and that the benchmarks start.
# Exit code 0 = all green.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "== installing redis-server (Debian package)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
  # The package may start a system instance; the tests start their own servers on free ports.
  ($SUDO service redis-server stop || true) >/dev/null 2>&1
fi

# The load generator's page is checked in a real headless browser (Debian's chromium).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The PostgreSQL peer of the booking benchmark (--postgres) starts its own PostgreSQL 15 server.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== installing postgresql (Debian package)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  # The package may start a system cluster; the benchmark starts its own on a free port.
  ($SUDO service postgresql stop || true) >/dev/null 2>&1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d)"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== build (Debug: checked arithmetic and invariant asserts on)"
dotnet build SlotEngine.sln -c Debug -nologo -clp:ErrorsOnly

echo "== tests"
dotnet test SlotEngine.sln -c Debug --no-build -nologo 2>&1 | tee "$work/tests.log"

echo "== bitmap scans again with hardware intrinsics off"
DOTNET_EnableHWIntrinsic=0 dotnet test tests/SlotEngine.Tests -c Debug --no-build -nologo --filter "Category=Scan"

echo "== packaging: pack, install from a local folder, build every README C# block, run those that need no Redis"
SLOTENGINE_PACKAGING_TESTS=1 dotnet test tests/SlotEngine.Hosting.Tests -c Debug --no-build -nologo --filter "Category=Packaging"

echo "== load generator smoke: embedded engine"
dotnet run -c Debug --no-build --project src/SlotEngine.LoadTest -- \
  --providers 2000 --bookings 20000 --plain --json "$work/memory.json"

echo "== load generator page: the smoke run's, in headless chromium"
SLOTENGINE_LOAD_REPORT="$work/memory.json" dotnet test tests/SlotEngine.LoadTest.Tests -c Debug --no-build -nologo --filter "Category=Browser"

echo "== load generator smoke: Redis (a server on a free loopback port)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
dotnet run -c Debug --no-build --project src/SlotEngine.LoadTest -- \
  --backend redis --redis "127.0.0.1:$port" --providers 200 --bookings 2000 --duration 120s --plain --json "$work/redis.json"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""

echo "== benchmarks start (BenchmarkDotNet dry run of every suite)"
dotnet run -c Release --project benchmarks/SlotEngine.Benchmarks -- --filter '*' --smoke
dotnet run -c Release --no-build --project benchmarks/SlotEngine.Benchmarks -- --machine-floor --smoke

echo "== booking day side by side: in memory, on Redis, PostgreSQL 15 (short run)"
dotnet run -c Release --no-build --project benchmarks/SlotEngine.Benchmarks -- --postgres --smoke

# One closing line over every test project of the main run, in the plain form CI reads.
passed=$(grep -Eo 'Passed: +[0-9]+' "$work/tests.log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$work/tests.log" | awk '{s+=$2} END {print s+0}')
echo "== all green"
echo "tests: $passed passed, $failed failed"
