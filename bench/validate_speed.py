"""Validation speed: `simulator validate` over a generated library of scenarios.

Usage: python bench/validate_speed.py [--scenarios 1000] [--steps 20] [--runs 3]

Generates a library (by default 1,000 scenarios of 20 steps, each step with its own
text, templates, conditions, examples and now and then a local criterion, so nothing
is shared between files that a cache could exploit) in a temporary folder, checks that
it validates clean, then times whole `simulator validate DIR` processes. The reference
measured in the same run is a process that only parses the same files with PyYAML's
fastest safe loader (`yaml.load(..., CSafeLoader)`), and a bare `python -c pass`.
Target (issue 3): under 3 s for the whole validation on a 2-core VM.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0

GOOD = ["listen.acknowledge_feelings", "listen.hospitality", "listen.invite_to_speak",
        "classify.record", "statement.procedure_timeline", "handle.transfer_and_track",
        "aftercare.progress_updates"]
BAD = ["mindset.labelling", "listen.cut_off", "statement.rash_promise",
       "statement.point_to_leader", "statement.deny_responsibility"]
PLACES = ["区住房保障中心", "街道办事处", "区人社局", "区城市管理局", "区市场监管局"]


def scenario(n: int, steps: int) -> str:
    """One valid scenario of ``steps`` steps, text varied by ``n`` and the step number."""
    place = PLACES[n % len(PLACES)]
    out = [
        "# yaml-language-server: $schema=../simulator/schema/scenario.schema.json",
        f"id: gen-{n:04d}",
        f"title: 生成的场景第{n}号：反复来访的{place}群众",
        "category: 申诉求决",
        "situations: [重复来访, 情绪激动]",
        f"difficulty: {n % 5 + 1}",
        "minutes: 12",
        f"description: 第{n}号生成场景，用于测量校验速度；来访者第{n % 7 + 2}次来到{place}。",
        'visitor_name: "{{ visitor.name }}"',
        f"vars: {{unit: {place}, case_no: 第{n}号, visitor: {{name: 张先生{n}, age: {40 + n % 30}}}}}",
        "briefing: |",
        f"  你是{{{{ unit }}}}信访接待室的接待员。{{{{ visitor.name }}}}今天第{n % 7 + 2}次来访，",
        f"  反映{{{{ case_no }}}}案件迟迟没有答复。他已经跑了{n % 5 + 2}个部门，情绪很激动。",
        "meters:",
        "  mood: {start: 85, min: 0, max: 100, label: 情绪激动, higher_is: worse}",
        f"  trust: {{start: {20 + n % 10}, label: 信任}}",
        "steps:",
    ]
    for s in range(steps):
        step_id = f"s{s:02d}"
        nxt = f"s{s + 1:02d}" if s + 1 < steps else None
        good = [GOOD[(n + s + k) % len(GOOD)] for k in range(3)]
        bad = [BAD[(n + s + k) % len(BAD)] for k in range(2)]
        out += [
            f"  - id: {step_id}",
            "    visitor: |",
            f"      （第{s + 1}轮）我已经跑了{n % 5 + 2}个部门了！{{{{ unit }}}}到底管不管？"
            f"这是我第{s + n % 9}次说这件事了，编号{{{{ case_no }}}}。",
            f"      {{{{ visitor.name }}}}拍着桌子说：再没有结果，我就天天来（{n}-{s}）。",
        ]
        local = s % 4 == 3
        if s % 5 == 2:
            out += [
                "    answer: choice",
                "    options:",
                f"      - text: 给{{{{ visitor.name }}}}倒一杯热茶，请他坐下（{s}）",
                f"        shows: [{good[0]}]",
                f"      - text: 让他先去取号排队（{n}）",
                f"        shows: [{bad[0]}]",
                "      - text: 什么也不说，继续看材料",
            ]
        out += [f"    good: [{', '.join(good + (['right_body'] if local else []))}]",
                f"    bad: [{', '.join(bad)}]",
                f"    weights: {{{good[0]}: {1 + s % 3}}}"]
        if local:
            out += [
                "    local:",
                "      right_body:",
                "        kind: good",
                f"        title: 指明第{n}号案件该找的部门",
                f"        detect: {{any: [\"劳动监察|监察大队|{place}{n}|第{s}号窗口\"]}}",
            ]
        out += [
            "    effects:",
            f"      good: {{mood: -{5 + s % 10}, trust: {3 + n % 5}}}",
            f"      bad: {{mood: {10 + s % 15}, trust: -{5 + n % 10}}}",
            "    next:",
            f"      - when: mood >= {90 + (n + s) % 10} and trust < {10 + s % 20}",
            "        goto: escalation",
        ]
        if s % 6 == 5:
            out += [f"      - when: \"'{bad[0]}' in shown or score < {20 + s}\"",
                    "        goto: escalation"]
        if nxt:
            out.append(f"      - goto: {nxt}")
        out += [
            f"    hint: 先接住情绪（第{s}步），再请他坐下慢慢说。",
            "    model_answer: |",
            f"      {{{{ visitor.name }}}}，您跑了这么多趟，确实辛苦。先坐下喝口水，慢慢说，我都记下来（{n}-{s}）。",
            "    examples:",
        ]
        if s % 5 == 2:
            out += ["      - answer: \"1\"", f"        present: [{good[0]}]",
                    "      - answer: \"2\"", f"        present: [{bad[0]}]"]
        else:
            out += [f"      - answer: 您跑了这么多趟，确实不容易。先坐下喝口水，慢慢说（{n}）。",
                    "        present: [listen.acknowledge_feelings]",
                    f"      - answer: 之前该讲的都讲了，你还要怎么样？（{s}）",
                    "        present: [mindset.labelling]",
                    "        absent: [listen.acknowledge_feelings]"]
    out += [
        "endings:",
        "  - id: calmed",
        "    title: 情绪平复，按程序办理",
        "    outcome: good",
        # No warned-against answer on the way (else `validate`'s path analysis warns).
        f"    when: mood < {35 + n % 10} and trust >= 50 and seen.isdisjoint([{', '.join(map(repr, BAD))}])",
        "    text: |",
        f"      {{{{ visitor.name }}}}的情绪平复下来，同意按程序等待{{{{ case_no }}}}的答复（{n}）。",
        "  - id: escalation",
        "    title: 矛盾升级",
        "    outcome: bad",
        f"    when: mood >= {90 + n % 5}",
        "    score_cap: 59",
        f"    text: 矛盾升级了，{{{{ visitor.name }}}}要去上一级反映（{n}）。",
        "  - id: unresolved",
        "    title: 没有谈拢",
        "    text: 来访者带着疑虑离开了。",
    ]
    return "\n".join(out) + "\n"


def timed(argv: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds of the process and its children, the process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size = 0
        for n in range(args.scenarios):
            data = scenario(n, args.steps).encode("utf-8")
            (folder / f"gen-{n:04d}.yaml").write_bytes(data)
            size += len(data)
        validate = [sys.executable, "-m", "simulator", "validate", str(folder)]
        reference = [sys.executable, "-c",
                     "import sys, yaml, pathlib\n"
                     "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
                     "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)", str(folder)]
        bare = [sys.executable, "-c", "pass"]
        _, _, check = timed(validate)
        if check.returncode != 0 or check.stdout:
            print("generated library does not validate clean:\n" + check.stdout[:2000], file=sys.stderr)
            return 1
        times: dict[str, list[float]] = {"validate": [], "safe_load": [], "bare": []}
        cpu: dict[str, list[float]] = {"validate": [], "safe_load": [], "bare": []}
        for _ in range(args.runs):
            for name, argv in (("validate", validate), ("safe_load", reference), ("bare", bare)):
                wall, used, proc = timed(argv)
                if proc.returncode != 0 or proc.stdout:
                    print(f"{name} run failed (exit {proc.returncode}):\n{proc.stdout[:2000]}"
                          f"{proc.stderr[-2000:]}", file=sys.stderr)
                    return 1
                times[name].append(wall)
                cpu[name].append(used)
    median = {k: statistics.median(v) for k, v in times.items()}
    median_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"library: {args.scenarios} scenarios x {args.steps} steps, {size / 2**20:.1f} MiB")
    print(f"simulator validate (whole process): median {median['validate']:.2f} s wall, "
          f"{median_cpu['validate']:.2f} s CPU over {args.runs} runs "
          f"{[round(t, 2) for t in times['validate']]}")
    print(f"reference, CSafeLoader parse only:   median {median['safe_load']:.2f} s wall, "
          f"{median_cpu['safe_load']:.2f} s CPU")
    print(f"reference, bare python start-up:     median {median['bare'] * 1000:.0f} ms")
    print(f"ratio validate / parse-only: {median['validate'] / median['safe_load']:.2f} wall, "
          f"{median_cpu['validate'] / median_cpu['safe_load']:.2f} CPU")
    print(f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work on the machine inflates the wall figures)")
    verdict = "met" if median["validate"] < TARGET_S else "NOT met"
    print(f"target < {TARGET_S:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
