#!/usr/bin/env bash
# Runs every test of SlotEngine on a fresh machine: installs what the tests need (redis-server
# from Debian packages), builds the solution and runs all test projects. Exit code 0 = all green.
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

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== build (Debug: checked arithmetic and invariant asserts on)"
dotnet build SlotEngine.sln -c Debug -nologo -clp:ErrorsOnly

echo "== tests"
dotnet test SlotEngine.sln -c Debug --no-build -nologo

echo "== bitmap scans again with hardware intrinsics off"
DOTNET_EnableHWIntrinsic=0 dotnet test tests/SlotEngine.Tests -c Debug --no-build -nologo --filter "Category=Scan"
