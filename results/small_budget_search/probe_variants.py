"""Probes a finished search run the way the quality benchmark probed it (its quality_runs.json), with the features
read another way: from the context encoder instead of the EMA target, and/or the last N layers' pooled outputs
concatenated (the I-JEPA paper's linear-probe features).

    python results/small_budget_search/probe_variants.py outputs/search/masked-vicreg-73.5/seed-0 --feature_layers 4
    python results/small_budget_search/probe_variants.py outputs/search/masked-vicreg-73.5/seed-0 --encoder context
"""

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from hf_jepa import JEPAForPreTraining, PretrainingArguments
from hf_jepa.commands.arguments import parse_arguments
from hf_jepa.evaluation.driver import evaluate
from hf_jepa.quality import probe_arguments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_folder", type=Path, help="A seed folder of the quality benchmark (quality_runs.json).")
    parser.add_argument("--encoder", choices=["target", "context"], default="target")
    parser.add_argument("--feature_layers", type=int, default=1)
    parser.add_argument("--baselines", action="store_true", help="Also probe random init and raw pixels.")
    args = parser.parse_args()

    training = parse_arguments(PretrainingArguments, [str(args.run_folder / "training_args.json")])
    settings = json.loads((args.run_folder / "quality_runs.json").read_text())["probe_settings"]
    with tempfile.TemporaryDirectory() as scratch:
        model_folder = args.run_folder
        if args.encoder == "context":
            model_folder = Path(scratch)
            JEPAForPreTraining.from_pretrained(args.run_folder).context_encoder.save_pretrained(model_folder)
            shutil.copy(args.run_folder / "preprocessor_config.json", model_folder)
        evaluation = probe_arguments(
            training,
            settings,
            model_name_or_path=str(model_folder),
            output_dir=scratch,
            baselines=args.baselines,
            feature_layers=args.feature_layers,
        )
        for record in evaluate(evaluation):
            print(json.dumps({key: record[key] for key in ("model", "protocol", "value", "effective_rank")}))


if __name__ == "__main__":
    main()
