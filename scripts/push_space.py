#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""`hf-jepa push-space` as a script, for checkouts and `accelerate launch scripts/push_space.py ...`."""

from hf_jepa.commands import run_command

if __name__ == "__main__":
    run_command("push-space")
