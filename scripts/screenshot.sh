#!/usr/bin/env bash
# Makes assets/screenshot.svg from a real session: the zombie lesson held at the
# step where the killed child is a zombie (real PIDs, real states), drawn by
# scripts/ansi2svg.py from tmux's capture with colours.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
sock="proclab-shot-$$"
tmux -L "$sock" new-session -d -x 120 -y 40 "./target/release/proclab lesson zombie"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
sleep 1
# start → forked → killed: the child is a zombie until the parent waits.
for _ in 1 2 3; do tmux -L "$sock" send-keys Space; sleep 1.5; done
tmux -L "$sock" send-keys 3
sleep 0.5
tmux -L "$sock" capture-pane -e -p | python3 scripts/ansi2svg.py > assets/screenshot.svg
tmux -L "$sock" send-keys q
echo "wrote assets/screenshot.svg"
