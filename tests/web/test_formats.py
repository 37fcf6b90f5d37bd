"""How the pages print things (app/web/formats.py), as the old page scripts printed them."""

from datetime import UTC, datetime, timedelta

from app.web.formats import (
    NONE,
    best_validation,
    classes_text,
    fmt_bytes,
    fmt_duration,
    fmt_number,
    fmt_shape,
    fmt_when,
    notes_text,
)

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_shapes_numbers_and_classes():
    assert fmt_shape([12, 12, 1]) == "(12, 12, 1)" and fmt_shape([None, 8]) == "(None, 8)"
    assert fmt_number(254.0) == "254" and fmt_number(0.0625) == "0.0625"
    assert fmt_number(1 / 3) == "0.3333"
    assert classes_text(["bar", "dot", "ring"]) == "3: bar, dot, ring"
    assert classes_text([str(i) for i in range(10)]) == "10: 0, 1, 2, 3, 4, …"


def test_sizes_as_the_page_scripts_print_them():
    assert [fmt_bytes(n) for n in (0, 1023, 1024, 1536 * 1024, 5 * 1024**3)] == [
        "0 B", "1023 B", "1.00 KB", "1.50 MB", "5.00 GB"]  # fmt: skip


def test_durations_so_far_and_done():
    assert fmt_duration(None, None) == NONE
    assert fmt_duration(START, START + timedelta(seconds=1.84)) == "1.8 s"
    assert fmt_duration(START, START + timedelta(seconds=185)) == "3 min 5 s"
    assert fmt_duration(START, None, now=START + timedelta(seconds=5)) == "5.0 s so far"
    naive = START.replace(tzinfo=None)  # SQLite may hand back naive UTC
    assert fmt_duration(naive, START + timedelta(seconds=2)) == "2.0 s"
    assert fmt_when(START) == "2026-01-02 03:04:05 UTC" and fmt_when(None) == "not yet"


def test_best_validation_prefers_accuracy_then_loss():
    history = [
        {"epoch": 1, "val_loss": 0.9, "val_accuracy": 0.5},
        {"epoch": 2, "val_loss": 0.7, "val_accuracy": 0.8},
        {"epoch": 3, "val_loss": 0.6, "val_accuracy": 0.7},
    ]
    assert best_validation(history) == "val_accuracy 0.8000 (epoch 2)"
    losses_only = [{k: v for k, v in h.items() if k != "val_accuracy"} for h in history]
    assert best_validation(losses_only) == "val_loss 0.6000 (epoch 3)"
    assert best_validation([{"epoch": 1, "loss": 1.0}]) == NONE


def test_notes_as_key_value_pairs():
    notes = {"color_mode": "grayscale", "image_size": [12, 12], "resized_images": 0}
    assert notes_text(notes) == "color mode: grayscale; image size: [12,12]; resized images: 0"
    assert notes_text({}) == "none"
