"""The report: everything a run found, as plain JSON-ready data, and its one-screen summary."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from mips.choose import describe
from mips.network.arch import Arch
from mips.results import RunResult

FORMAT_VERSION = 1


def build_report(result: RunResult) -> dict:
    task, search = result.task, result.search
    winner = search.winner
    report = {
        "format": FORMAT_VERSION,
        "task": {
            "name": task.name,
            "source": task.source,
            "input_dim": task.input_dim,
            "output_dim": task.output_dim,
            "length": task.length,
            "input_values": task.values_text,
            "rule": task.rule,
            "fingerprint": task.fingerprint,  # of its shape and behaviour (`mips.task.task_fingerprint`)
        },
        "provenance": result.provenance,
        "seed": result.config.seed,
        "verified": result.verdict.verified,
        "verdict": result.verdict.summary(),
        "verification": result.verdict.to_json(),
        "network": None,
        "given_network": result.given,  # a network mips did not train (`mips extract`)
        "search": [a.to_json() for a in search.attempts],
        "search_out_of_time": search.out_of_time,
        "reused_network": result.reused_network,
        "data_fingerprint": result.data_fingerprint,  # a saved network is reused only for the same training data
        "simplify": None,
        "extraction": None,
        "machine": None,
        "candidates": [
            {
                "kind": c.machine.kind,
                "form": c.machine.form,
                "size": c.machine.size,
                "matches_heldout": c.matches_heldout,
                "complete": c.machine.complete,
                "merged": c.merged,
                "extends": c.extends,
            }
            for c in result.candidates
        ],
        "program_lines": len(result.program.splitlines()) if result.program else 0,
        "seconds": {**result.seconds, "total": round(sum(result.seconds.values()), 3)},
    }
    if winner is not None:
        report["network"] = {
            "arch": asdict(winner.arch),
            "hidden_size": winner.arch.hidden,
            "trained_seed": winner.seed_index,
            "steps": winner.steps,
            "heads": [asdict(h) for h in result.network.encoding.heads],
            "one_hot_inputs": result.network.encoding.one_hot,
        }
    if result.simplified is not None:
        network = result.simplified.network
        report["simplify"] = {
            "steps": result.simplified.to_json(),
            "kept": list(result.simplified.kept),
            "read": result.read or None,  # the network extraction read the machine from
            "hidden_size": network.arch.hidden,
            "recurrent_weights_simple": result.simplified.recurrent_weights_simple,
        }
    if result.extraction is not None:
        fsm, lattice = result.extraction.fsm, result.extraction.lattice
        report["extraction"] = {
            "fsm": _fsm_json(fsm),
            "behaviour": _fsm_json(result.extraction.behaviour),
            "lattice": {
                "found": lattice.found,
                "dimension": None if lattice.basis is None else len(lattice.basis),
                "error": lattice.error if np.isfinite(lattice.error) else None,
                "reason": lattice.reason,
                "rules": result.affine.reason if result.affine else None,
            },
        }
    if result.chosen is not None:
        report["machine"] = {
            "kind": result.chosen.machine.kind,
            "form": result.chosen.machine.form,  # how the program reads: formula, or table
            "size": result.chosen.machine.size,
            "matches_heldout": result.chosen.matches_heldout,
            "complete": result.chosen.machine.complete,
            "merged": result.chosen.merged,
            "extends": result.chosen.extends,
            "description": describe(result.chosen),
            "definition": result.chosen.machine.to_json(),
        }
    return report


def summary_lines(report: dict) -> list[str]:
    lines = [f"task: {report['task']['name']} ({report['task']['source']})"]
    if report["network"]:
        lines.append(
            f"network: hidden size {report['network']['hidden_size']} "
            f"({_arch_text(report['network']['arch'])}), {len(report['search'])} architecture(s) tried"
        )
    given = report.get("given_network")
    if given:
        right, total = given["heldout_right"], given["heldout_outputs"]
        lines.append(f"network: given, {given['description']}; {right:,} of {total:,} held-out outputs right")
    if report["machine"]:
        lines.append(f"machine: {report['machine']['description']}")
    lines.append(report["verdict"])
    seconds = report["seconds"]
    lines.append("time: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))
    return lines


def _arch_text(arch: dict) -> str:
    return Arch(**arch).describe_depths()


def _fsm_json(fsm) -> dict:
    return {
        "found": fsm.machine is not None,
        "clusters": fsm.clusters,
        "points": fsm.points,
        "states": fsm.machine.states if fsm.machine else None,
        "reason": fsm.reason,
    }
