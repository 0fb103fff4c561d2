#!/usr/bin/env bash
# The GPU check of issue 27: what the CPU tests (tests/test_distributed.py: DDP, FSDP1, FSDP2 on 2 gloo processes)
# cannot show, on one CUDA GPU. Writes one results file, $OUT/gpu_check.md (its log beside it), to commit as
# results/gpu_check.md.
#
#   bash results/gpu_check.sh prepare   # here, once, in the repo root (network): the wheels of this repo's stack for
#                                       # the device's Python 3.12 into .whl/ (~19 MB), the full Fashion-MNIST's IDX
#                                       # files (Debian's dataset-fashion-mnist) into .gpu_data/ (~31 MB)
#   device run: command="bash results/gpu_check.sh", carry=[".whl", ".gpu_data"], timeout_s=590
#
# Sections, each timed and recorded (a failing one is recorded and the next runs): CUDA facts (no device sync from
# masks in the forward, fp32 regularisers under fp16 autocast); the bf16 training benchmark of ViT-S/16 and ViT-B/16
# (images/s, MFU against the measured bf16 peak, peak memory, activation checkpointing); FSDP2 on one GPU; an
# `accelerate launch --mixed_precision bf16` pretraining that records bf16, saves and resumes; then, while time
# is left (QUALITY_DEADLINE seconds after the start, default 480), the small-budget quality curve at 8x and 16x the
# reference compute on the full Fashion-MNIST split (a budget cut short continues from its checkpoints when the
# script runs again on the same, still warm, machine).
set -uo pipefail

if [ "${1:-}" = prepare ]; then
  grep -qx "/.whl/" .git/info/exclude || echo "/.whl/" >> .git/info/exclude
  grep -qx "/.gpu_data/" .git/info/exclude || echo "/.gpu_data/" >> .git/info/exclude
  packages=$(python -c "import importlib.metadata as m; print(' '.join(f'{n}=={m.version(n)}' for n in
    ('transformers', 'accelerate', 'datasets', 'huggingface_hub', 'dill', 'multiprocess', 'kernels', 'httpx2', 'click',
     'fsspec')))")  # the device's tokenizers and pyarrow fit (datasets needs pyarrow >= 24: else carry it, ~40 MB)
  python -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl $packages
  mkdir -p .gpu_data && cp -r "$(python -c 'from hf_jepa.data.shipped import FASHION_MNIST_DIR as d; print(d)')" \
    .gpu_data/fashion-mnist
  du -sh .whl .gpu_data
  exit
fi

start=$SECONDS
OUT=${OUT:-outputs/gpu_check}
mkdir -p "$OUT" /tmp/gpu_check
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HOME=/tmp/gpu_check/hf
mkdir -p /usr/share/datasets && cp -r .gpu_data/fashion-mnist /usr/share/datasets/  # where `fashion_mnist` is read
report=$OUT/gpu_check.md
log=$OUT/gpu_check.log
{
  echo "# GPU check (issue 27), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /'
  python3 -c "import torch, transformers, accelerate; print(f'torch {torch.__version__}, transformers \
{transformers.__version__}, accelerate {accelerate.__version__}')"
  echo
} > "$report"

section() {  # section TITLE COMMAND...: runs COMMAND, its output into the log, its result and seconds into the report
  local title=$1 t0=$SECONDS; shift
  echo "== $title" >> "$log"
  if "$@" >> "$log" 2>&1; then status=ok; else status="FAILED (see gpu_check.log)"; fi
  echo "- $title: $status, $((SECONDS - t0)) s" >> "$report"
}

cuda_facts() {
  python3 - <<'EOF'
import torch
from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAMaskCollator
from hf_jepa.modeling_jepa import covariance_loss, sigreg_loss

config = JEPAConfig.from_preset("tiny", variance_weight=1.0, covariance_weight=0.1)
model = JEPAForPreTraining(config).cuda()
batch = JEPAMaskCollator(config)([{"pixel_values": torch.randn(3, 32, 32)} for _ in range(64)])
batch = {k: v.cuda() if torch.is_tensor(v) else [m.cuda() for m in v] for k, v in batch.items()}
model(**batch)  # warm-up (lazy initialisations may sync)
torch.cuda.synchronize()
torch.cuda.set_sync_debug_mode("error")  # any device-to-host sync in the forward raises
with torch.autocast("cuda", dtype=torch.bfloat16):
    loss = model(**batch).loss
torch.cuda.set_sync_debug_mode("default")
print("forward without a device sync: ok", float(loss))
z = torch.randn(8192, 64, device="cuda") * 3  # the covariance's sums pass fp16's 65,504
with torch.autocast("cuda", dtype=torch.float16):
    values = [covariance_loss(z), sigreg_loss(z, 256)]
assert all(torch.isfinite(v) and v.dtype == torch.float32 for v in values), values
print("fp16 autocast regularisers finite in fp32: ok")
EOF
}

pretrain_args=(--config_name_or_path tiny --dataset_name fashion_mnist_small --per_device_train_batch_size 128
  --logging_steps 5 --report_to none --do_eval false --dataloader_num_workers 4 --seed 0)

fsdp2_one_gpu() {
  accelerate launch --multi_gpu --num_processes 1 --use_fsdp --fsdp_version 2 \
    --fsdp_auto_wrap_policy TRANSFORMER_BASED_WRAP --mixed_precision bf16 scripts/pretrain.py "${pretrain_args[@]}" \
    --max_steps 20 --eval_steps 10 --max_eval_samples 1000 --gradient_checkpointing true \
    --output_dir /tmp/gpu_check/fsdp2 --overwrite_output_dir true &&
  python3 -c "from transformers import AutoModel; AutoModel.from_pretrained('/tmp/gpu_check/fsdp2', trust_remote_code=True); \
import json; print(open('/tmp/gpu_check/fsdp2/training_summary.json').read())"
}

bf16_save_and_resume() {  # 20 steps with a checkpoint at 10, then the last 10 again from it: the same losses
  local dir=/tmp/gpu_check/bf16
  accelerate launch --num_processes 1 --mixed_precision bf16 scripts/pretrain.py "${pretrain_args[@]}" \
    --max_steps 20 --checkpointing_steps 10 --output_dir $dir --overwrite_output_dir true || return 1
  cp $dir/log_history.jsonl /tmp/gpu_check/uninterrupted.jsonl
  accelerate launch --num_processes 1 --mixed_precision bf16 scripts/pretrain.py "${pretrain_args[@]}" \
    --max_steps 20 --checkpointing_steps 10 --output_dir $dir --resume_from_checkpoint $dir/checkpoint-10 || return 1
  python3 - <<'EOF'
import json
args = json.load(open("/tmp/gpu_check/bf16/training_args.json"))
assert (args["mixed_precision"], args["attn_implementation"]) == ("bf16", "sdpa"), args
read = lambda path: {r["step"]: r["train/loss"] for r in map(json.loads, open(path)) if "train/loss" in r}
before, after = read("/tmp/gpu_check/uninterrupted.jsonl"), read("/tmp/gpu_check/bf16/log_history.jsonl")
print("losses (uninterrupted, resumed):", [(before[s], after[s]) for s in sorted(before)])
assert all(abs(before[s] - after[s]) <= 1e-3 * abs(before[s]) for s in before), "resumed losses differ"
EOF
}

quality() {  # quality TFLOPS NAME: the main job's recipe at a training-FLOP budget on the full split (73.5 = 1x)
  local left=$(( ${QUALITY_DEADLINE:-480} - (SECONDS - start) ))
  [ $left -gt 60 ] || { echo "no time left"; return 1; }
  timeout $left python3 scripts/benchmark_quality.py --recipe results/small_budget_search/masked-vicreg.yaml \
    --dataset_name fashion_mnist --seeds 0 --train_tflops "$1" --max_eval_samples 10000 --baselines false \
    --output_dir "/tmp/gpu_check/quality-$2" --json "$OUT/quality_$2.json"
}

section "CUDA facts (no sync from masks, fp32 regularisers under fp16)" cuda_facts
section "bf16 training benchmark, ViT-S/16 and ViT-B/16 (batch 128)" python3 scripts/benchmark.py \
  --presets small base --batch_size 128 --precisions bf16 --inference false --data_pipeline false --steps 10 \
  --json "$OUT/benchmark.json"
section "FSDP2 on one GPU: bf16, activation checkpointing, --eval_steps, save, AutoModel" fsdp2_one_gpu
section "accelerate launch --mixed_precision bf16: save at 10, resume, same losses" bf16_save_and_resume
section "quality at 8x the reference compute (588 TFLOP)" quality 588 8x
section "quality at 16x the reference compute (1176 TFLOP)" quality 1176 16x
{
  echo
  echo "Total: $((SECONDS - start)) s. Benchmark tables:"
  echo
  grep -A30 "Training step" "$log" | head -40 | sed 's/^/    /'
  for budget in 8x 16x; do [ -f "$OUT/quality_$budget.json" ] && echo "quality $budget: $(cat "$OUT/quality_$budget.json")"; done
} >> "$report"
cat "$report"
