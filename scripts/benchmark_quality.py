#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""`hf-jepa benchmark-quality` as a script, for checkouts and `accelerate launch scripts/benchmark_quality.py ...`."""

from hf_jepa.commands import run_command

if __name__ == "__main__":
    run_command("benchmark-quality")
