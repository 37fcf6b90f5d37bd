"""The builder by keyboard and on a phone: undo and redo over every kind of edit (keys and
buttons), the palette's search, a skip-link and a short Tab path to the stack, and the
summary one tap away at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_builder import (  # noqa: F401 (a fixture)
    _no_script_errors,
    layer_titles,
    open_builder,
    set_args,
)

pytestmark = pytest.mark.browser


def test_undo_and_redo_with_the_keyboard_and_the_buttons(page: Page) -> None:
    open_builder(page)
    undo, redo = page.get_by_test_id("undo"), page.get_by_test_id("redo")
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()

    page.get_by_test_id("palette-Flatten").click()
    page.get_by_test_id("palette-Dense").click()
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense"])
    set_args(page, 1, units="7")  # one step however many keys it took
    expect(page.get_by_test_id("layer-1")).to_contain_text("units=7")
    page.get_by_test_id("layer-1").get_by_role("button", name="Move up").click()
    expect(layer_titles(page)).to_have_text(["Dense", "Flatten"])
    # Dense(7) on 8 features: 8*7 + 7
    expect(page.get_by_test_id("total-params")).to_have_text("63")

    # Ctrl+Z from outside a text field: the reorder, then the argument edit, then the add.
    page.locator("#stack-title").click()
    page.keyboard.press("Control+z")
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense"])
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("layer-1")).not_to_contain_text("units=7")
    expect(redo).to_be_enabled()
    undo.click()
    expect(layer_titles(page)).to_have_text(["Flatten"])

    # Redo by each key, then by the button: back where it was, summary included.
    page.keyboard.press("Control+Shift+Z")
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense"])
    page.keyboard.press("Control+y")
    expect(page.get_by_test_id("layer-1")).to_contain_text("units=7")
    redo.click()
    expect(layer_titles(page)).to_have_text(["Dense", "Flatten"])
    expect(redo).to_be_disabled()
    expect(page.get_by_test_id("total-params")).to_have_text("63")

    # A template is one step; a new edit after an undo drops what could be redone.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("template-mlp").click()
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense", "Dense"])
    undo.click()
    expect(layer_titles(page)).to_have_text(["Dense", "Flatten"])
    page.get_by_test_id("layer-1").get_by_role("button", name="Remove").click()
    expect(layer_titles(page)).to_have_text(["Dense"])
    expect(redo).to_be_disabled()


def test_the_history_keeps_the_last_hundred_steps(page: Page) -> None:
    open_builder(page)
    search = page.get_by_test_id("palette-search")
    search.fill("Flatten")
    for _ in range(105):
        search.press("Enter")  # one step each
    expect(layer_titles(page)).to_have_count(105)
    page.locator("#stack-title").click()
    for _ in range(110):
        page.keyboard.press("Control+z")
    expect(layer_titles(page)).to_have_count(5)
    expect(page.get_by_test_id("undo")).to_be_disabled()


def test_ctrl_z_in_a_text_field_is_the_fields_own(page: Page) -> None:
    open_builder(page)
    page.get_by_test_id("palette-Dense").click()
    field = page.get_by_test_id("arg-units")
    field.fill("")
    field.press_sequentially("12")
    expect(page.get_by_test_id("layer-0")).to_contain_text("units=12")
    # The browser's own undo takes back the typing; the layer stays in the stack.
    field.press("Control+z")
    expect(layer_titles(page)).to_have_text(["Dense"])
    expect(field).not_to_have_value("12")
    # Out of the field, Ctrl+Z undoes the stack: the typing was one step, then the add.
    page.locator("#stack-title").click()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(layer_titles(page)).to_have_count(0)


def test_an_applied_fix_is_undone_like_any_edit(page: Page) -> None:
    open_builder(page)
    page.get_by_test_id("template-mlp").click()
    expect(page.get_by_test_id("total-params")).to_have_text("4,810")
    set_args(page, 2, activation="")  # the logits trap, warned with fixes
    warning = page.get_by_test_id("layer-2").locator(".warning")
    warning.get_by_role("button", name="Use softmax").click()
    expect(page.get_by_test_id("layer-2")).to_contain_text("activation=softmax")
    expect(page.locator("#stack .warning")).to_have_count(0)
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("layer-2")).not_to_contain_text("activation=softmax")
    expect(page.get_by_test_id("layer-2").locator(".warning")).to_contain_text("has no activation")
    page.get_by_test_id("redo").click()
    expect(page.get_by_test_id("layer-2")).to_contain_text("activation=softmax")


def test_palette_search_filters_and_enter_adds_the_first_match(page: Page) -> None:
    open_builder(page)
    search = page.get_by_test_id("palette-search")
    search.fill("conv")
    expect(page.get_by_test_id("palette-Conv2D")).to_be_visible()
    expect(page.get_by_test_id("palette-Dense")).to_be_hidden()
    # Groups with nothing left disappear.
    expect(page.locator(".b-group-box:visible")).to_have_count(1)

    # Descriptions count too: Dropout is found by what it does.
    search.fill("randomly sets")
    visible = page.locator(".b-palette-item:visible")
    expect(visible.first).to_be_visible()
    first = visible.first.get_attribute("data-type")
    search.press("Enter")
    expect(layer_titles(page)).to_have_text([first or ""])

    search.fill("no such layer")
    expect(page.get_by_test_id("palette-empty")).to_contain_text("No layer type matches")
    search.press("Escape")
    expect(search).to_have_value("")
    expect(page.get_by_test_id("palette-Dense")).to_be_visible()


def test_the_palette_fits_a_laptop_screen(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_builder(page)
    groups = page.get_by_test_id("palette")
    # Every layer type is reachable by scrolling the groups, and the search stays in view.
    height = groups.evaluate("node => node.scrollHeight")
    assert height < 2 * 800, f"the palette is {height}px tall: it should about fit the screen"
    box = page.get_by_test_id("palette-search").bounding_box()
    assert box and box["y"] + box["height"] < 800
    page.get_by_test_id("palette-search").fill("pool")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "builder-palette-search.png"))


def test_skip_link_and_a_short_tab_path_to_the_stack(page: Page) -> None:
    open_builder(page)
    page.get_by_test_id("template-mlp").click()
    expect(layer_titles(page)).to_have_count(3)

    # From the palette's search, Tab reaches the first layer in a handful of presses.
    page.get_by_test_id("palette-search").focus()
    presses = 0
    while presses < 20:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.dataset.testid") == "layer-0":
            break
    assert presses <= 6, f"{presses} Tab presses from the palette search to the first layer"

    # The palette is one Tab stop: arrows move inside it, Enter adds.
    page.get_by_test_id("palette-search").focus()
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.dataset.type")
    page.keyboard.press("ArrowRight")
    second = page.evaluate("document.activeElement.dataset.type")
    assert first and second and first != second

    # The skip-link is the builder's first Tab stop and lands on the first layer.
    skip = page.get_by_test_id("skip-to-stack")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("layer-0")).to_be_focused()


def test_phone_reaches_the_summary_in_one_tap(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_builder(page)
    page.get_by_test_id("template-cnn").click()
    expect(page.get_by_test_id("total-params")).to_have_text("103,562")
    bar = page.get_by_test_id("phone-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_test_id("phone-total")).to_have_text("103,562 params")
    expect(page.get_by_test_id("total-params")).not_to_be_in_viewport()
    # What a phone shows first: the toolbar, the palette, and the bar that leads to the summary.
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "builder-phone-bar.png"))

    page.get_by_test_id("phone-summary").click()
    expect(page.get_by_test_id("summary-row-0")).to_be_in_viewport()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "builder-phone-summary.png"))  # what the tap shows
    # And back to the stack, one tap again.
    page.get_by_test_id("phone-stack").click()
    expect(page.locator("#stack-title")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_no_phone_bar_on_a_wide_screen(page: Page) -> None:
    open_builder(page)
    expect(page.get_by_test_id("phone-bar")).to_be_hidden()


def test_undo_and_redo_are_announced_to_screen_readers(page: Page) -> None:
    open_builder(page)
    status = page.get_by_test_id("history-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_attribute("role", "status")
    for layer_type in ("Flatten", "Dense", "Dense"):
        page.get_by_test_id(f"palette-{layer_type}").click()
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense", "Dense"])
    set_args(page, 1, units="7")
    expect(page.get_by_test_id("layer-1")).to_contain_text("units=7")

    page.locator("#stack-title").click()
    page.keyboard.press("Control+z")
    expect(status).to_have_text("Undone: changed units of Dense (layer 2)")
    page.get_by_test_id("undo").click()
    expect(status).to_have_text("Undone: added Dense (layer 3)")
    page.get_by_test_id("redo").click()
    expect(status).to_have_text("Redone: added Dense (layer 3)")

    page.get_by_test_id("layer-1").get_by_role("button", name="Move up").click()
    expect(layer_titles(page)).to_have_text(["Dense", "Flatten", "Dense"])
    page.get_by_test_id("layer-2").get_by_role("button", name="Remove").click()
    expect(layer_titles(page)).to_have_text(["Dense", "Flatten"])
    page.get_by_test_id("undo").click()
    expect(status).to_have_text("Undone: removed Dense (layer 3)")
    page.get_by_test_id("undo").click()
    expect(status).to_have_text("Undone: moved Dense to layer 1")
    page.get_by_test_id("input-shape").fill("64")
    page.locator("#stack-title").click()
    page.keyboard.press("Control+z")
    expect(status).to_have_text("Undone: changed the input shape to 64")
