"""Quality of the inductive themes against labels they never saw (issue 15 item 3): one table.

    .venv/bin/python bench/eval_themes.py [--goals ID ...] [--seeds 0 1 2] [--fit-sample N]

For every Gdańsk goal: the classifier trained on the dev set without it, every stage run as `uwagi run` runs them;
the theme holding most of the goal's comments, its purity (target >= 0.8) and coverage. For the Łódź proposals: all
968 as one group, the themes' NMI against the city's 8 official categories (target >= 0.5), per seed. CPU seconds
(this process) are printed beside each row: the machine is shared, so wall time says little.
How it is measured: `tests/theme_quality.py`, which the quality tests share. `--fit-sample` lowers
`ThemesConfig.fit_sample` below these groups' sizes, to see what fitting on a sample costs in quality.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import Config, ThemesConfig  # noqa: E402
from tests.theme_quality import gdansk_taxonomy, held_out_goal, lodz_themes  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--goals", nargs="*", help="Gdańsk goals to hold out (default: every one)")
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2], help="themes seeds for the Łódź NMI")
    p.add_argument("--fit-sample", type=int, default=ThemesConfig.fit_sample,
                   help="texts of a group the themes are fitted on (ThemesConfig.fit_sample)")
    args = p.parse_args()
    goals = args.goals or list(gdansk_taxonomy().ids)
    print(f"{'held-out Gdańsk goal':26} {'comments':>8} {'theme':30} {'purity':>6} {'coverage':>8} {'cpu s':>6}")
    purities = []
    for goal in goals:
        start = time.process_time()
        found = held_out_goal(goal, Config(themes=ThemesConfig(fit_sample=args.fit_sample)))
        purities.append(found.purity)
        print(f"{goal:26} {found.comments:8d} {found.theme:30} {found.purity:6.2f} {found.coverage:8.2f} "
              f"{time.process_time() - start:6.1f}", flush=True)
    print(f"{'goals with purity >= 0.8':26} {sum(x >= 0.8 for x in purities):8d} of {len(purities)}; "
          f"mean purity {sum(purities) / len(purities):.2f}, min {min(purities):.2f}\n")
    print(f"{'Łódź proposals, seed':26} {'themes':>8} {'NMI':>6} {'cpu s':>6}")
    for seed in args.seeds:
        start = time.process_time()
        nmi, k = lodz_themes(ThemesConfig(seed=seed, fit_sample=args.fit_sample))
        print(f"{seed:<26d} {k:8d} {nmi:6.3f} {time.process_time() - start:6.1f}", flush=True)


if __name__ == "__main__":
    main()
