"""Runs every recipe of docs/analysis.md against the demo's run root and checks each tool's answer
against the same answer computed here with plain pyarrow and Python, so the page cannot rot."""

from __future__ import annotations

import collections
import hashlib
import math
import pathlib
import statistics

import duckdb

import recipes
from conftest import MISSING_REWARD, checkpoints, read_rows

QUESTIONS = ["reward-stats", "best-worst", "no-valid-candidate", "prompt-rounds", "loss-curve", "lora"]
TABULAR = ("duckdb", "spark", "pandas")
PROMPT = "two cats sleeping on a blue couch"  # the prompt the page's recipes pick, from conf/demo/prompts.txt


def run_local(recipe: recipes.Recipe, root: pathlib.Path) -> list[dict]:
    """A DuckDB or pandas recipe's result as a list of plain dicts, in the recipe's order."""
    if recipe.tool == "duckdb":
        rel = duckdb.connect().sql(recipe.with_root(root))
        return [dict(zip(rel.columns, recipes.plain(list(row)))) for row in rel.fetchall()]
    namespace: dict = {}
    exec(compile(recipe.with_root(root), f"docs/analysis.md:{recipe.name}:{recipe.tool}", "exec"), namespace)
    return [recipes.plain(row) for row in namespace["result"].to_dict("records")]


def results(name, all_recipes, root, spark_results) -> dict[str, list[dict]]:
    by_tool = {r.tool: run_local(r, root) for r in all_recipes if r.name == name and r.tool in ("duckdb", "pandas")}
    by_tool["spark"] = spark_results[name]
    return by_tool


def same(actual, expected) -> bool:
    # Engines sum doubles in different orders: 1e-9 relative is far above that rounding (~1e-15)
    # and far below any real difference between two rewards or losses.
    if isinstance(expected, float) or isinstance(actual, float):
        return actual is not None and expected is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(same, actual, expected))
    return actual == expected


def assert_rows(by_tool: dict, expected: list[dict], name: str):
    assert set(by_tool) == set(TABULAR), f"{name}: tools {sorted(by_tool)}"
    for tool, rows in by_tool.items():
        assert len(rows) == len(expected), f"{name} {tool}: {len(rows)} rows, expected {len(expected)}"
        for i, (got, want) in enumerate(zip(rows, expected)):
            for col, value in want.items():
                assert col in got, f"{name} {tool}: no column {col} (has {sorted(got)})"
                assert same(got[col], value), f"{name} {tool} row {i} column {col}: {got[col]!r}, expected {value!r}"


def reward_values(row) -> dict:
    return {k: v for k, v in row["rewards"] if v is not None and not math.isnan(v)}


def sd(values):
    return statistics.stdev(values) if len(values) > 1 else None


def mean(values):
    return statistics.fmean(values) if values else None


def test_every_question_has_a_recipe_in_each_tool(all_recipes):
    for q in QUESTIONS:
        assert {r.tool for r in all_recipes if r.name == q} == set(TABULAR), q
    assert [r.name for r in all_recipes if r.tool == "datasets"] == ["images"]


def test_reward_stats(all_recipes, run_root, spark_results):
    groups = collections.defaultdict(lambda: ([], []))
    for row in read_rows(run_root, "ranked"):
        for reward, value in reward_values(row).items():
            groups[(row["round"], reward)][0].append(value)
            if row["selected"]:
                groups[(row["round"], reward)][1].append(value)
    expected = [dict(round=r, reward=k, n_all=len(a), mean_all=mean(a), sd_all=sd(a),
                     n_selected=len(s), mean_selected=mean(s), sd_selected=sd(s))
                for (r, k), (a, s) in sorted(groups.items())]
    assert len(expected) == 2 * 2  # the demo: 2 rounds x 2 rewards (caption_reward, sam_reward)
    assert_rows(results("reward-stats", all_recipes, run_root, spark_results), expected, "reward-stats")


def test_best_and_worst_samples_of_a_prompt(all_recipes, run_root, spark_results):
    ids = {(p["round"], p["prompt_id"]) for p in read_rows(run_root, "prompts") if p["prompt"] == PROMPT}
    key = lambda r: (r["round"], r["prompt_id"], r["sample_idx"])  # noqa: E731
    captions = {key(c): c["caption"] for c in read_rows(run_root, "captions")}
    labels = {key(s): [p["label"] for p in s["parts"]] for s in read_rows(run_root, "segments")}
    ranked = [r for r in read_rows(run_root, "ranked") if (r["round"], r["prompt_id"]) in ids]
    expected = []
    for rnd in sorted({r["round"] for r in ranked}):
        rows = [r for r in ranked if r["round"] == rnd and r["rank_in_prompt"] is not None]
        last = max(r["rank_in_prompt"] for r in rows)
        for r in sorted((r for r in rows if r["rank_in_prompt"] in (1, last)), key=lambda r: r["rank_in_prompt"]):
            rewards = dict(r["rewards"])
            expected.append(dict(round=rnd, prompt_id=r["prompt_id"], sample_idx=r["sample_idx"],
                                 which="best" if r["rank_in_prompt"] == 1 else "worst",
                                 rank_in_prompt=r["rank_in_prompt"], assembled_score=r["assembled_score"],
                                 caption_reward=rewards["caption_reward"], sam_reward=rewards["sam_reward"],
                                 caption=captions[key(r)], part_labels=labels[key(r)]))
    assert len(expected) == 2 * 2  # best and worst in each of the demo's 2 rounds
    assert_rows(results("best-worst", all_recipes, run_root, spark_results), expected, "best-worst")


def no_valid_expected(root) -> list[dict]:
    prompts = {(p["round"], p["prompt_id"]): p["prompt"] for p in read_rows(root, "prompts")}
    per_prompt = collections.defaultdict(list)
    for r in read_rows(root, "ranked"):
        per_prompt[(r["round"], r["prompt_id"])].append(r)
    return [dict(round=rnd, prompt_id=pid, prompt=prompts[(rnd, pid)], candidates=len(rows),
                 reasons="; ".join(sorted({r["excluded_reason"] for r in rows if r["excluded_reason"]})))
            for (rnd, pid), rows in sorted(per_prompt.items())
            if all(r["assembled_score"] is None for r in rows)]


def test_prompts_with_no_valid_candidate_on_the_demo(all_recipes, run_root, spark_results):
    expected = no_valid_expected(run_root)
    assert expected == []  # the demo's rewards are never missing: every prompt has candidates
    assert_rows(results("no-valid-candidate", all_recipes, run_root, spark_results), expected, "no-valid-candidate")


def test_prompts_with_no_valid_candidate_when_a_reward_is_missing(all_recipes, missing_reward_root, spark_runs):
    """The demo has no excluded candidate, so the recipe also runs on a copy of its ranked table in
    which one prompt's candidates all miss a reward (conftest's missing_reward_root)."""
    root, victim = missing_reward_root
    expected = no_valid_expected(root)
    assert [(e["round"], e["prompt_id"], e["reasons"]) for e in expected] == [(0, victim, MISSING_REWARD)]
    by_tool = {r.tool: run_local(r, root) for r in all_recipes if r.name == "no-valid-candidate" and r.tool != "spark"}
    by_tool["spark"] = spark_runs["missing-reward"]["no-valid-candidate"]
    assert_rows(by_tool, expected, "no-valid-candidate (missing reward)")


def test_rewards_of_a_prompt_across_rounds(all_recipes, run_root, spark_results):
    ids = {(p["round"], p["prompt_id"]) for p in read_rows(run_root, "prompts") if p["prompt"] == PROMPT}
    groups = collections.defaultdict(lambda: ([], []))
    for r in read_rows(run_root, "ranked"):
        if (r["round"], r["prompt_id"]) in ids:
            for reward, value in reward_values(r).items():
                groups[(reward, r["round"])][0].append(value)
                if r["selected"]:
                    groups[(reward, r["round"])][1].append(value)
    expected, previous = [], {}
    for (reward, rnd), (a, s) in sorted(groups.items()):
        m = mean(a)
        expected.append(dict(reward=reward, round=rnd, mean=m, selected_mean=mean(s),
                             change_of_mean=None if reward not in previous else m - previous[reward]))
        previous[reward] = m
    assert len(expected) == 2 * 2  # 2 rewards x 2 rounds
    assert_rows(results("prompt-rounds", all_recipes, run_root, spark_results), expected, "prompt-rounds")


def test_loss_curve(all_recipes, run_root, spark_results):
    metrics = sorted(read_rows(run_root, "train_metrics"), key=lambda m: (m["round"], m["step"]))
    expected = []
    for i, m in enumerate(metrics):
        window = [x["loss"] for x in metrics[max(0, i - 9):i + 1] if x["round"] == m["round"]]
        expected.append(dict(round=m["round"], step=m["step"], loss=m["loss"], lr=m["lr"], loss_avg10=mean(window)))
    # One row per optimiser step: as many as the checkpoints say they took.
    assert len(expected) == sum(c["steps"] for c in checkpoints(run_root))
    assert_rows(results("loss-curve", all_recipes, run_root, spark_results), expected, "loss-curve")


def test_which_lora_produced_an_image(all_recipes, run_root, spark_results):
    by_id = {c["checkpoint_id"]: c for c in checkpoints(run_root)}
    by_round = {c["round"]: c for c in by_id.values()}
    expected = []
    for s in sorted(read_rows(run_root, "samples"), key=lambda s: (s["round"], s["prompt_id"], s["sample_idx"])):
        # The demo's rule: round 0 is the base model, round r uses the LoRA that round r-1 trained.
        want = by_round.get(s["round"] - 1)
        assert s["lora_checkpoint_id"] == (want["checkpoint_id"] if want else None)
        c = by_id.get(s["lora_checkpoint_id"])
        expected.append(dict(round=s["round"], prompt_id=s["prompt_id"], sample_idx=s["sample_idx"],
                             lora_checkpoint_id=s["lora_checkpoint_id"],
                             lora_trained_in_round=c and c["round"], lora_data_rounds=c and c["data_rounds"],
                             lora_steps=c and c["steps"], lora_final_loss=c and c["final_loss"],
                             lora_weights=c and f"{run_root}/checkpoints/round={c['round']}/{c['weights_file']}"))
    assert len(expected) == 2 * 20 * 4  # 2 rounds x 20 demo prompts x 4 samples
    by_tool = results("lora", all_recipes, run_root, spark_results)
    assert_rows(by_tool, expected, "lora")
    for row in by_tool["duckdb"]:
        if row["lora_weights"]:  # the path the recipe gives is the checkpoint's weights file
            digest = hashlib.sha256(pathlib.Path(row["lora_weights"]).read_bytes()).hexdigest()
            assert digest == by_id[row["lora_checkpoint_id"]]["weights_sha256"]
