#!/usr/bin/env bash
# Push-T world models with and without proprioception (issue 26, item 3), as resumable background steps on a CPU.
# Every step skips what is already done (a dataset folder, a finished model, a results JSON) and training resumes from
# its latest checkpoint, so an interrupted step continues when the same command runs again. Data and models go to
# outputs/push_t/, results to results/push_t/*.json; every finished run is entered in results/push_t/ledger.md.
#
# Usage (from the repository root; one thread per process, so that two steps share the 2 cores):
#   results/push_t/run.sh record NAME SEED EPISODES [START]            START: random (default) or near_target
#   results/push_t/run.sh merge NAME DATASET DATASET                   one dataset of both recordings' episodes
#   results/push_t/run.sh train NAME DATASET STEPS STATE [EMBEDDING]   STATE: none, token or concat;
#                                                                      EMBEDDING: pooled (default) or patch
#   results/push_t/run.sh evaluate MODEL GOAL PAIRS SEED STATE_WEIGHT  GOAL: reach (25 scripted steps), reach10, task
#     (BASELINES=false skips the greedy and random baselines, e.g. when choosing STATE_WEIGHT on tuning seeds)
set -euo pipefail
export OMP_NUM_THREADS=1 SDL_VIDEODRIVER=dummy
work=outputs/push_t
results=$(dirname "$0")
mkdir -p "$work"
# the model and objective of recipes/world-model-push-t.yaml; a state model adds state_dim=4 (agent x, y, vx, vy)
model="sigreg_weight=0.09,sigreg_projector_size=256,project_latents=true,sigreg_num_projections=1024,\
predictor_hidden_size=96,predictor_num_hidden_layers=3,predictor_num_attention_heads=4,encoder.image_size=64,\
encoder.patch_size=16,encoder.hidden_size=96,encoder.num_attention_heads=4,encoder.num_hidden_layers=3"

record() {  # episodes of push_policy, 100 steps each; goal=task so that no episode ends early on a reach goal
  local name=$1 seed=$2 episodes=$3 start=${4:-random}
  [ -d "$work/$name" ] && { echo "$work/$name exists"; return; }
  hf-jepa record-episodes --env_id hf_jepa/PushT-v0 --env_kwargs "{\"goal\": \"task\", \"start\": \"$start\"}" \
    --num_episodes "$episodes" --max_steps 100 --image_size 64 --seed "$seed" \
    --policy hf_jepa.envs.push_t:push_policy --output_dir "$work/$name"
}

merge() {  # the second recording's episodes renumbered after the first's; the first's environment is the model's
  local name=$1 first=$2 second=$3
  [ -d "$work/$name" ] && { echo "$work/$name exists"; return; }
  python - "$work/$name" "$work/$first" "$work/$second" <<'PYTHON'
import sys

import datasets

output, first, second = sys.argv[1], datasets.load_from_disk(sys.argv[2]), datasets.load_from_disk(sys.argv[3])
offsets = {"episode_index": max(first["episode_index"]) + 1, "index": len(first)}
second = second.map(lambda row: {key: row[key] + offset for key, offset in offsets.items()})
merged = datasets.concatenate_datasets([first, second])
merged.info.description = first.info.description
merged.save_to_disk(output)
PYTHON
}

train() {
  local name=$1 dataset=$2 steps=$3 state=$4 embedding=${5:-pooled} resume=()
  local overrides="$model,embedding_type=$embedding"
  [ -f "$work/$name/model.safetensors" ] && { echo "$work/$name is trained"; return; }
  [ "$state" != none ] && overrides="$overrides,state_dim=4,state_embedding=$state"
  compgen -G "$work/$name/checkpoint-*" > /dev/null && resume=(--resume_from_checkpoint latest)
  hf-jepa train-world-model world-model-push-t --dataset_name "$work/$dataset" --output_dir "$work/$name" \
    --max_steps "$steps" --checkpointing_steps 250 --report_to none --config_overrides "$overrides" "${resume[@]}"
}

evaluate() {  # CEM 150 x 4, 15 elites, horizon 5 model steps (25 environment steps), replanning every model step
  local model=$1 goal=$2 pairs=$3 seed=$4 weight=$5 env_kwargs max_steps
  local output="$results/${model//\//-}-$goal-$pairs-seed$seed-w$weight.json"
  [ -f "$output" ] && { echo "$output exists"; return; }
  case $goal in
    reach) env_kwargs='{}'; max_steps=50 ;;
    reach10) env_kwargs='{"goal_steps": 10}'; max_steps=20 ;;
    task) env_kwargs='{"goal": "task"}'; max_steps=100 ;;
    *) echo "GOAL must be reach, reach10 or task, got $goal" >&2; exit 2 ;;
  esac
  hf-jepa evaluate-planning --model_name_or_path "$work/$model" --env_id hf_jepa/PushT-v0 --env_kwargs "$env_kwargs" \
    --num_pairs "$pairs" --seed "$seed" --max_steps "$max_steps" --population 150 --iterations 4 --num_elites 15 \
    --horizon 5 --greedy_population 150 --baselines "${BASELINES:-true}" --state_weight "$weight" --output_json "$output"
}

"$@"; exit  # on one line: bash reads a script as it runs, and this file may be edited meanwhile
