# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The Hub side of a checkpoint folder, one module per concern:

- `cards`: its model card (`write_model_card`, `write_world_model_card`), rendered from `jepa_model_card.md`;
- `upload`: pushing it to the Hub in one commit (`push_to_hub`, `PushToHubError`);
- `run_files`: the JSON files a run leaves in it (`read_training_arguments`), and which arguments are credentials;
- `local_hub`: a local stand-in for the Hub API, to try a push offline: `python -m hf_jepa.hub.local_hub --port 8765`.

Its processor (`build_processor`, `checkpoint_processor`) is made beside the transforms, in `hf_jepa.data.processing`.
"""
