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
# start → forked → killed: the child is a zombie until the parent waits. Each Space
# releases one step; wait until the header names the next one.
wait_for_step() {
    for _ in $(seq 100); do
        if tmux -L "$sock" capture-pane -p | head -1 | grep -q "AT STEP '$1'"; then return; fi
        sleep 0.1
    done
    echo "step '$1' not reached" >&2
    exit 1
}
wait_for_step start
for step in forked killed; do
    tmux -L "$sock" send-keys Space
    wait_for_step "$step"
done
sleep 1
tmux -L "$sock" send-keys 3
sleep 0.5
tmux -L "$sock" capture-pane -e -p | python3 scripts/ansi2svg.py > assets/screenshot.svg
tmux -L "$sock" send-keys q
echo "wrote assets/screenshot.svg"
