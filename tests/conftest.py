import os

# No test may reach the Hub (there is no network here); set before transformers / huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# A JEPA small enough that hundreds of optimisation steps take seconds on a CPU (the `tiny` preset is ~2.7M).
MICRO = dict(
    image_size=16,
    patch_size=4,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    pred_hidden_size=16,
    pred_num_hidden_layers=1,
    pred_num_attention_heads=2,
)
