# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""`python -m hf_jepa <command> ...`, the same as `hf-jepa <command> ...`."""

from .commands import main

if __name__ == "__main__":
    main()
