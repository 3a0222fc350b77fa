"""Benchmark: paper assembly throughput against a naive baseline, measured in the same run.

Draws PAPERS papers for the 低压电工 70/30 blueprint (level quotas 20/30/50 %) from a BANK-item bank.
The naive baseline draws by random.sample per type — no quotas, no exposure balancing — but builds the
same frozen snapshot with shuffled options, so the two do the same output work.

    .venv/bin/python scripts/bench/paper_assembly.py [--papers 10000] [--bank 3000]

Last line: RESULT papers_per_s=… naive_papers_per_s=… ratio=…
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from question_bank.assembly import Assembler, PaperQuestion, PoolItem  # noqa: E402
from question_bank.blueprint import default_blueprint  # noqa: E402
from question_bank.items import CognitiveLevel, ItemType, build_content  # noqa: E402


def make_bank(size: int, seed: int = 1) -> list[PoolItem]:
    """A bank shaped like a real one: 2/3 true/false, 1/3 single choice, levels 20/30/50 %, 13 knowledge points."""
    rng = random.Random(seed)
    levels = [CognitiveLevel.UNDERSTAND] * 2 + [CognitiveLevel.MASTER] * 3 + [CognitiveLevel.PROFICIENT] * 5
    pool = []
    for n in range(size):
        item_type = ItemType.JUDGE if n % 3 else ItemType.SINGLE
        options = [] if item_type is ItemType.JUDGE else [f"第{n}题的选项{k}：{rng.random():.6f}" for k in range(4)]
        content, problems = build_content(
            type=item_type, stem=f"第{n}题题干，模拟真实长度的低压电工作业安全知识题目内容（{rng.random():.8f}）。",
            options=options, answer=rng.choice("TF") if item_type is ItemType.JUDGE else rng.choice("ABCD"),
            explanation="解析文字。", knowledge_point=f"知识点{n % 13}", cognitive_level=rng.choice(levels),
            difficulty=rng.randint(1, 5))
        assert not problems, problems
        pool.append(PoolItem(n + 1, n + 1, 1, content))
    return pool


def naive_draw(by_type: dict, counts: list[tuple[ItemType, int, float]], seed: int) -> list[PaperQuestion]:
    """random.sample per type and the same frozen snapshot (shuffled options, remapped key)."""
    rng = random.Random(seed)
    questions = []
    for item_type, count, points in counts:
        for item in rng.sample(by_type[item_type], count):
            c = item.content
            order = list(range(len(c.options)))
            if item_type is not ItemType.JUDGE:
                rng.shuffle(order)
            answer = set(c.answer)
            questions.append(PaperQuestion(
                len(questions) + 1, item.item_id, item.version_id, item.version, c.type.value, c.stem,
                tuple([c.options[i] for i in order]), tuple(order),
                tuple(i for i, original in enumerate(order) if original in answer), points, c.knowledge_point,
                c.cognitive_level.value, c.explanation))
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--bank", type=int, default=3_000)
    args = parser.parse_args()

    pool = make_bank(args.bank)
    blueprint = default_blueprint("1.2", duration_minutes=120, pass_mark=80)

    started = time.perf_counter()
    assembler = Assembler(blueprint, pool)
    prepare_s = time.perf_counter() - started
    started = time.perf_counter()
    for seed in range(args.papers):
        assembler.draw(seed)
    assembly_s = time.perf_counter() - started

    by_type: dict = {}
    for item in pool:
        by_type.setdefault(item.content.type, []).append(item)
    counts = [(s.type, s.count, s.points) for s in blueprint.sections]
    started = time.perf_counter()
    for seed in range(args.papers):
        naive_draw(by_type, counts, seed)
    naive_s = time.perf_counter() - started

    exposure = list(assembler.exposure_of().values())
    papers_per_s = args.papers / assembly_s
    naive_per_s = args.papers / naive_s
    print(f"bank {args.bank} items, {args.papers} papers of {blueprint.question_count} questions")
    print(f"assembler: prepare {prepare_s * 1000:.1f} ms, draw {assembly_s:.2f} s")
    print(f"naive:     draw {naive_s:.2f} s")
    print(f"exposure per item after the run: min {min(exposure)} max {max(exposure)}")
    print(f"RESULT papers_per_s={papers_per_s:.0f} naive_papers_per_s={naive_per_s:.0f} "
          f"ratio={naive_per_s / papers_per_s:.2f}")


if __name__ == "__main__":
    main()
