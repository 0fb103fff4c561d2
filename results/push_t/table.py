"""Prints every Push-T planning result in this folder (the JSONs `run.sh evaluate` writes) as one Markdown table.

python results/push_t/table.py
"""

import json
from pathlib import Path

from hf_jepa.tables import format_table

HERE = Path(__file__).parent
GOALS = {'{"goal_steps": 10}': "reach, 10 steps", "{}": "reach, 25 steps", '{"goal": "task"}': "task"}


def row(path: Path) -> list:
    results = json.loads(path.read_text())
    args, planning = results["arguments"], results["planning"]
    rates, distances = planning["success_rate"], planning["mean_final_distance"]
    methods = [name for name in ("cem", "greedy", "random") if name in rates]
    successes = [f"{rates[name]:.0%}" if name in rates else "-" for name in ("cem", "greedy", "random")]
    return [
        Path(args["model_name_or_path"]).relative_to("outputs/push_t").as_posix(),
        GOALS.get(args["env_kwargs"], args["env_kwargs"]),
        f"{args['num_pairs']} ({args['seed']}..)",
        args["state_weight"],
        f"{args['population']} x {args['iterations']}",
        *successes,
        " / ".join(f"{distances[name]:.0f}" for name in methods),
        f"{planning['median_plan_seconds']['cem']:.2f}",
    ]


def main() -> None:
    rows = [row(path) for path in sorted(HERE.glob("*.json"))]
    headers = [
        "model",
        "goals",
        "pairs (seeds)",
        "state weight",
        "CEM population x iterations",
        "CEM",
        "greedy",
        "random",
        "final block px",
        "s / plan",
    ]
    print(format_table(headers, rows))


if __name__ == "__main__":
    main()
