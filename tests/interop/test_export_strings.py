"""Names in generated Python stay data: a name holding a newline, quotes, `\"\"\"`, `\\` or a
Unicode line separator never becomes a statement of the script a user downloads and runs.

Each export is parsed with `ast`; with the planted name put back to a plain one, its tree must
be exactly the tree exported for a plain name."""

from __future__ import annotations

import ast

from app.catalog import LAYER_TYPES
from app.interop.python_export import comment_text, layer_call
from app.stacks.stack import CheckedLayer
from tests.helpers.stacks import dense, mlp

PLAIN = "plain"
PLANTED = [
    "x\nimport os\nos.system('echo planted')",
    "x\r\nPLANTED = 1",
    "x\rPLANTED = 1",
    "x\u2028PLANTED = 1\u2029PLANTED = 2\x85PLANTED = 3",
    'x"""\nPLANTED = 1\n"""',
    "x'''\nPLANTED = 1\n'''",
    "x'); PLANTED = 1; ('",
    'x"); PLANTED = 1; ("',
    "x\\\nPLANTED = 1",
    "x\\",
    "x\x0bPLANTED = 1\x0cPLANTED = 2\x1cPLANTED = 3",
    "x\u202ePLANTED = 1",  # a bidi override (Trojan Source)
]


def tree(script: str, planted: str) -> str:
    """The script's statements, with the planted string (where kept, as data) made plain."""
    parsed = ast.parse(script)
    for node in ast.walk(parsed):
        if isinstance(node, ast.Constant) and node.value == planted:
            node.value = PLAIN
    return ast.dump(parsed)


def assert_only_data(script: str, planted: str, plain_script: str) -> None:
    statements = tree(script, planted)
    assert "PLANTED" not in statements and "planted" not in statements  # not even as a name
    assert tree(script, planted) == tree(plain_script, PLAIN)
    for line in script.splitlines():  # and a comment stays one line, as an editor shows it
        assert all(c.isprintable() for c in line), repr(line)


def architecture_script(client, name: str) -> str:
    saved = client.post("/api/architectures", json={**mlp(), "name": name})
    assert saved.status_code == 201, saved.text
    url = f"/api/architectures/{saved.json()['id']}/export"
    response = client.get(url, params={"format": "python"})
    assert response.status_code == 200, response.text
    return response.text


def run_script(client, stack: dict, class_names: str = "zero,one") -> str:
    rows = b"".join(b"%d,1,2\n" % (i % 2) for i in range(20))
    files = [("files", ("d.csv", b"label,a,b\n" + rows))]
    form = {"name": "d", "class_names": class_names}
    dataset = client.post("/api/datasets", data=form, files=files)
    assert dataset.status_code == 201, dataset.text
    body = {"architecture": stack, "dataset_id": dataset.json()["id"], "fit": {"seed": 1}}
    run = client.post("/api/runs", json=body)
    assert run.status_code == 202, run.text
    response = client.get(f"/api/runs/{run.json()['id']}/export.py")
    assert response.status_code == 200, response.text
    # Each call uploads its own dataset; the file the script loads is named after it.
    return response.text.replace(f"dataset-{dataset.json()['id']}.npz", "dataset.npz")


def two_classes(name: str) -> dict:
    return {
        "name": name,
        "layers": [dense(2, activation="softmax")],
        "compile": {"loss": "sparse_categorical_crossentropy"},
    }


# One app per kind of name, every planted string through it (an app per case costs ~0.5 s).


def test_architecture_names_stay_in_a_comment(client):
    plain = architecture_script(client, PLAIN)
    for planted in PLANTED:
        assert_only_data(architecture_script(client, planted), planted, plain)


def test_run_names_stay_in_a_comment(client):
    plain = run_script(client, two_classes(PLAIN))
    for planted in PLANTED:
        assert_only_data(run_script(client, two_classes(planted)), planted, plain)


def test_class_names_never_become_code(client):
    plain = run_script(client, two_classes("m"), f"{PLAIN},one")
    for planted in PLANTED:
        names = planted.replace(",", ";") + ",one"  # the form separates names with commas
        assert_only_data(run_script(client, two_classes("m"), names), planted, plain)


def test_layer_names_are_refused_and_would_stay_strings(client):
    """The API refuses such layer names; the export would keep one as a string anyway."""
    for planted in PLANTED:
        stack = mlp()
        stack["layers"][1]["name"] = planted
        answer = client.post("/api/architectures", json=stack)
        assert answer.status_code == 422, answer.text
        assert "name" in answer.text
        for custom in (planted, PLAIN):
            call = layer_call(CheckedLayer(LAYER_TYPES["Dense"], {"units": 4}, custom, True))
            parsed = ast.parse(call, mode="eval").body
            assert isinstance(parsed, ast.Call) and parsed.keywords[-1].arg == "name"
            assert ast.literal_eval(parsed.keywords[-1].value) == custom


def test_a_comment_is_one_printable_line_of_bounded_length():
    assert comment_text("a\n\r\u2028b\x00c\u202e d") == "a b c d"
    assert comment_text("x" * 500) == "x" * 197 + "..."
    assert comment_text("  \n ") == ""
