"""Prints the search's results table from the JSON files the quality benchmark wrote beside this script
(`python results/small_budget_search/table.py`), one row per finished run, then the baselines."""

import json
from pathlib import Path

REFERENCE_TFLOPS = 73.5  # the official I-JEPA recipe: 1,000 steps x 128 images at 28 px
here = Path(__file__).parent
print("| recipe | budget | seed | TFLOP | steps | pretraining wall | kNN-20 | linear | effective rank |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
baselines = {}
for path in sorted(here.glob("*.json")):
    result = json.loads(path.read_text())
    for run in result["runs"]:
        if run["model"] != "trained":
            baselines[run["model"]] = run
            continue
        tflops = run["training_tflops"]
        print(
            f"| `{Path(result['arguments']['recipe']).stem}` | {tflops / REFERENCE_TFLOPS:.2f}x | {run['seed']} | "
            f"{tflops:.1f} | "
            f"{run['steps']} | {run['pretraining_seconds'] / 60:.0f} min | {run['knn']:.1%} | {run['linear']:.1%} | "
            f"{run['effective_rank']:.1f} |"
        )
for name, run in baselines.items():
    scores = f"{run['knn']:.1%} | {run['linear']:.1%} | {run['effective_rank']:.1f}"
    print(f"| {name} | – | {run['seed']} | 0 | – | – | {scores} |")
