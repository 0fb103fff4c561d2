"""Where the inference time of `JEPAModel` and of transformers' `IJepaModel` (same weights) goes: the `tiny` preset,
batch 128, fp32, sdpa, 5 forward passes each after 3 warm-up passes, `torch.profiler` tables by self CPU time.

    python results/performance/profile_inference.py
"""

import torch
from torch.profiler import profile

from hf_jepa.configuration_jepa import JEPAConfig
from hf_jepa.convert import jepa_to_ijepa
from hf_jepa.modeling_jepa import JEPAModel

torch.manual_seed(0)
config = JEPAConfig.from_preset("tiny", attn_implementation="sdpa")
ours = JEPAModel(config).eval()
theirs = jepa_to_ijepa(ours).eval()
theirs.set_attn_implementation("sdpa")
pixel_values = torch.randn(128, config.num_channels, config.image_size, config.image_size)
for name, model in (("JEPAModel", ours), ("IJepaModel", theirs)):
    with torch.inference_mode():
        for _ in range(3):
            model(pixel_values)
        with profile() as profiler:
            for _ in range(5):
                model(pixel_values)
    print(f"\n{name}")
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))
