#!/usr/bin/env bash
# Runs candidate recipes of the small-budget search one after another at the proxy protocol: a fixed training-FLOP
# budget in TFLOP (the proxy: 18.4, 0.25x the reference), the full Fashion-MNIST training split, one seed, probes on 10k / 10k.
# Usage: results/small_budget_search/run_proxy.sh TFLOPS NAME [NAME ...]   (NAME.yaml in this folder)
# SEED=1 runs another seed (default 0) into its own folder and JSON file, so that seeds can run side by side.
# Resumable: an interrupted candidate continues from its last checkpoint when run again.
set -euo pipefail
tflops=$1; shift
seed=${SEED:-0}
suffix=$([ "$seed" = 0 ] && echo "" || echo "-seed$seed")
here=$(dirname "$0")
for name in "$@"; do
  baselines=false
  [ "$name" = masked-vicreg ] && [ "$tflops" = 18.4 ] && [ "$seed" = 0 ] && baselines=true
  python scripts/benchmark_quality.py --recipe "$here/$name.yaml" --dataset_name fashion_mnist --seeds "$seed" \
    --train_tflops "$tflops" --max_eval_samples 10000 --baselines "$baselines" \
    --output_dir "outputs/search/$name-$tflops$suffix" --json "$here/$name-$tflops$suffix.json"
done
