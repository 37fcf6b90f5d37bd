"""`layerstack run`, `follow`, `runs`, `history`, `cancel`, `resume`, `predict`, `export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from layerstack.cli.base import Json, RunId, State, app, emit, err, out
from layerstack.client import Client
from layerstack.errors import LayerstackError
from layerstack.follow import Follower


@app.command("run")
def run_create(
    architecture: Annotated[
        str,
        typer.Argument(
            help="A saved architecture's id or name, or a .py/.json/.keras file to import."
        ),
    ],
    dataset: Annotated[str, typer.Argument(help="A dataset's id or name.")],
    epochs: Annotated[int, typer.Option(min=1)] = 10,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    validation_split: Annotated[float, typer.Option(min=0, max=0.9)] = 0.1,
    seed: Annotated[int | None, typer.Option(help="Same seed, same history.")] = None,
    follow: Annotated[bool, typer.Option(help="Follow it live until it ends.")] = False,
    as_json: Json = False,
) -> None:
    """Queue a training run (model.fit), and with --follow watch it epoch by epoch."""
    client = State.client()
    fit: dict[str, Any] = {
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_split": validation_split,
    }
    if seed is not None:
        fit["seed"] = seed
    run = client.create_run(_architecture(client, architecture), _dataset(client, dataset), **fit)
    if not follow:
        emit(
            run, as_json, f"Queued run {run['id']}: follow it with `layerstack follow {run['id']}`."
        )
        return
    if not as_json:
        out.print(f"Run {run['id']} queued.")
    raise typer.Exit(Follower(client, run["id"], out, as_json).follow())


@app.command("follow")
def run_follow(run: RunId, as_json: Json = False) -> None:
    """Watch a run live: a progress bar per epoch and a line per epoch's metrics."""
    raise typer.Exit(Follower(State.client(), run, out, as_json).follow())


@app.command("runs")
def runs_list(
    status: Annotated[str | None, typer.Option(help="queued, running, completed, ...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Json = False,
) -> None:
    """Your runs, newest first."""
    found = State.client().runs(status=status, limit=limit)
    table = Table("id", "status", "architecture", "dataset", "epochs", "best val")
    for r in found:
        vals = [e.get("val_accuracy") for e in r.get("history") or [] if "val_accuracy" in e]
        best = f"{max(vals):.4f}" if vals else ""
        table.add_row(
            str(r["id"]),
            r["status"],
            r.get("architecture_name") or r["stack"].get("name") or "",
            r.get("dataset_name") or "",
            f"{r.get('epochs_done', 0)} / {r['fit']['epochs']}",
            best,
        )
    emit(found, as_json, table)


@app.command("history")
def run_history(run: RunId, as_json: Json = False) -> None:
    """Each epoch's metrics (history.history)."""
    epochs = State.client().history(run, frame=False)
    keys = list(dict.fromkeys(k for e in epochs for k in e))
    table = Table(*keys)
    for e in epochs:
        table.add_row(*(_number(e.get(k)) for k in keys))
    emit(epochs, as_json, table)


@app.command("cancel")
def run_cancel(run: RunId, as_json: Json = False) -> None:
    """Stop a queued or running run."""
    answer = State.client().cancel(run)
    emit(answer, as_json, f"Run {run} is {answer['status']}.")


@app.command("resume")
def run_resume(run: RunId, as_json: Json = False) -> None:
    """Queue an interrupted or cancelled run again, from its last checkpoint."""
    answer = State.client().resume(run)
    emit(answer, as_json, f"Run {run} is {answer['status']}.")


# ---------------------------------------------------------------------------- predict, export


@app.command("predict")
def predict(
    run: RunId,
    images: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    top: Annotated[int, typer.Option(min=1, max=100, help="Labels ranked per image.")] = 3,
    as_json: Json = False,
) -> None:
    """Labels for images from a completed run's model."""
    answers = State.client().predict(run, *images, top_k=top)
    table = Table("image", "label", "probability", "next")
    for path, answer in zip(images, answers, strict=True):
        ranked = answer["top_k"]
        rest = ", ".join(f"{t['label']} {t['probability']:.1%}" for t in ranked[1:])
        table.add_row(path.name, str(ranked[0]["label"]), f"{ranked[0]['probability']:.1%}", rest)
    emit(answers, as_json, table)


@app.command("export")
def export(
    run: RunId,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="keras, savedmodel, tflite, tflite-int8, onnx or bundle"
        ),
    ] = "keras",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write it.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Download the model in a deployment format, checked by the server against Keras."""
    suffix = {
        "keras": ".keras",
        "savedmodel": "-savedmodel.zip",
        "tflite": ".tflite",
        "tflite-int8": "-int8.tflite",
        "onnx": ".onnx",
        "bundle": "-bundle.zip",
    }
    if format not in suffix:
        raise typer.BadParameter(
            f"{format!r}: use one of {', '.join(suffix)}", param_hint="--format"
        )
    target = output or Path(f"run-{run}{suffix[format]}")
    if not as_json:
        err.print(f"Exporting run {run} as {format} (converted and checked on the server)…")
    report = State.client().export(run, format, target)
    line = f"Wrote {target} ({report['size']:,} bytes)"
    if "agreement" in report:
        line += (
            f"; agrees with the Keras model on {report['agreement']:.2%} of "
            f"{report['compared']} samples (outputs within {report['max_difference']:.2g})"
        )
    emit(report, as_json, line + ".")


def _architecture(client: Client, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    if Path(ref).suffix in (".py", ".json", ".keras") and Path(ref).exists():
        return int(client.import_architecture(Path(ref))["architecture"]["id"])
    named = [a for a in client.architectures() if a["name"] == ref]
    if len(named) != 1:
        found = (
            "none" if not named else f"{len(named)} (ids {', '.join(str(a['id']) for a in named)})"
        )
        raise LayerstackError(f"Architecture {ref!r}: {found} saved under that name; give its id.")
    return int(named[0]["id"])


def _dataset(client: Client, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    named = [d for d in client.datasets() if d["name"] == ref]
    if len(named) != 1:
        found = (
            "none" if not named else f"{len(named)} (ids {', '.join(str(d['id']) for d in named)})"
        )
        raise LayerstackError(f"Dataset {ref!r}: {found} with that name; give its id.")
    return int(named[0]["id"])


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
