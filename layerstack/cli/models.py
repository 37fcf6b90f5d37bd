"""`layerstack arch ...` and `layerstack data ...`: architectures and datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from layerstack.cli.base import Json, State, arch_app, data_app, emit, err, out


@arch_app.command("import")
def arch_import(
    source: Annotated[
        Path,
        typer.Argument(
            help="Keras code (.py), model.to_json() (.json) or a .keras file.",
            exists=True,
            dir_okay=False,
        ),
    ],
    name: Annotated[str | None, typer.Option(help="Saved under this name.")] = None,
    as_json: Json = False,
) -> None:
    """Read a model's architecture and save it as a stack."""
    answer = State.client().import_architecture(source, name=name)
    saved = answer["architecture"]
    if as_json:
        emit(answer, True)
        return
    out.print(f"Saved architecture {saved['id']}: {saved['name']} ({len(saved['layers'])} layers).")
    for note in answer.get("ignored") or []:
        out.print(f"  [yellow]not used[/] line {note.get('line', '?')}: {note.get('message', '')}")


@arch_app.command("list")
def arch_list(as_json: Json = False) -> None:
    """Your saved architectures."""
    found = State.client().architectures()
    table = Table("id", "name", "input", "layers")
    for a in found:
        table.add_row(str(a["id"]), a["name"], str(a["input_shape"]), str(len(a["layers"])))
    emit(found, as_json, table)


@arch_app.command("summary")
def arch_summary(
    architecture: Annotated[int, typer.Argument(min=1)], as_json: Json = False
) -> None:
    """model.summary() of a saved architecture."""
    summary = State.client().summary(architecture)
    table = Table("Layer (type)", "Output Shape", "Param #")
    for row in summary["layers"]:
        table.add_row(
            f"{row['name']} ({row['type']})", str(row["output_shape"]), f"{row['params']:,}"
        )
    emit(summary, as_json, table)
    if not as_json:
        out.print(f"Total params: {summary['total_params']:,}")


# ---------------------------------------------------------------------------- datasets


@data_app.command("upload")
def data_upload(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="A zip of class folders, an IDX pair, a CSV or an NPZ.",
            exists=True,
            dir_okay=False,
        ),
    ],
    name: Annotated[str, typer.Option(help="The dataset's name.")],
    format: Annotated[str | None, typer.Option(help="Detected when left out.")] = None,
    image_size: Annotated[str | None, typer.Option(help="e.g. 28,28")] = None,
    color_mode: Annotated[str | None, typer.Option(help="grayscale or rgb")] = None,
    label_column: Annotated[str | None, typer.Option(help="A CSV's label column.")] = None,
    test_fraction: Annotated[float | None, typer.Option(min=0, max=0.99)] = None,
    as_json: Json = False,
) -> None:
    """Upload and import a dataset, with a progress bar."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    options = {
        "format": format,
        "image_size": image_size,
        "color_mode": color_mode,
        "label_column": label_column,
        "test_fraction": test_fraction,
    }
    columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, disable=as_json, transient=True) as bar:
        task = bar.add_task(f"Uploading {name}", total=None)

        def sent(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        dataset = State.client().upload_dataset(paths, name, progress=sent, **options)
    emit(dataset, as_json, _dataset_line(dataset))


@data_app.command("add")
def data_add(
    name: Annotated[str, typer.Argument(help="mnist, fashion_mnist or cifar10")],
    as_json: Json = False,
) -> None:
    """Add one of the tutorial's datasets (the server downloads and checks it, once)."""
    from rich.progress import DownloadColumn, Progress

    with Progress(
        *Progress.get_default_columns(),
        DownloadColumn(),
        console=err,
        disable=as_json,
        transient=True,
    ) as bar:
        task = bar.add_task(f"Adding {name}", total=None)

        def moved(done: int, total: int, stage: str) -> None:
            bar.update(task, completed=done, total=total or None, description=f"{name}: {stage}")

        dataset = State.client().add_catalog_dataset(name, progress=moved)
    emit(dataset, as_json, _dataset_line(dataset))


@data_app.command("list")
def data_list(as_json: Json = False) -> None:
    """The datasets you can train on."""
    found = State.client().datasets()
    table = Table("id", "name", "samples", "shape", "classes")
    for d in found:
        samples = d["num_train"] + d["num_test"]
        table.add_row(
            str(d["id"]),
            d["name"],
            f"{samples:,}",
            str(d["input_shape"]),
            str(len(d.get("class_names") or [])),
        )
    emit(found, as_json, table)


def _dataset_line(d: dict[str, Any]) -> str:
    return (
        f"Dataset {d['id']}: {d['name']}, {d['num_train']:,} training and "
        f"{d['num_test']:,} test samples of shape {d['input_shape']}, "
        f"{len(d.get('class_names') or [])} classes."
    )
