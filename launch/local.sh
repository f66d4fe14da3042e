#!/usr/bin/env bash
# Run stagger on this machine. With no arguments: a 60 s demo on catcher with a simulated
# 0.1 s model and the plan's number of inference nodes. Otherwise: `stagger run ARGS...`.
# `bash launch/local.sh --help` shows every option.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
if [ "$#" -eq 0 ]; then
    exec stagger run --game catcher --inference-latency 0.1 --inference-nodes auto --duration 60
fi
exec stagger run "$@"
