"""Probes a finished search run the way the quality benchmark does (kNN-20 and linear, 10k / 10k), with the features
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

from hf_jepa import JEPAForPreTraining
from hf_jepa.evaluation.driver import evaluate
from hf_jepa.training import PretrainingArguments, evaluation_arguments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_folder", type=Path, help="A seed folder of the quality benchmark (training_args.json).")
    parser.add_argument("--encoder", choices=["target", "context"], default="target")
    parser.add_argument("--feature_layers", type=int, default=1)
    parser.add_argument("--baselines", action="store_true", help="Also probe random init and raw pixels.")
    args = parser.parse_args()

    recorded = json.loads((args.run_folder / "training_args.json").read_text())
    fields = PretrainingArguments.__dataclass_fields__
    training = PretrainingArguments(**{name: value for name, value in recorded.items() if name in fields})
    with tempfile.TemporaryDirectory() as scratch:
        model_folder = args.run_folder
        if args.encoder == "context":
            model_folder = Path(scratch)
            JEPAForPreTraining.from_pretrained(args.run_folder).context_encoder.save_pretrained(model_folder)
            shutil.copy(args.run_folder / "preprocessor_config.json", model_folder)
        evaluation = evaluation_arguments(
            training,
            model_name_or_path=str(model_folder),
            output_dir=scratch,
            max_train_samples=10000,
            max_eval_samples=10000,
            protocols=["knn", "linear"],
            linear_epochs=100,
            baselines=args.baselines,
            batch_size=256,
            feature_layers=args.feature_layers,
        )
        for record in evaluate(evaluation):
            print(json.dumps({key: record[key] for key in ("model", "protocol", "value", "effective_rank")}))


if __name__ == "__main__":
    main()
