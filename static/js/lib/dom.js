// Building and filling page elements, and the flash box every page has.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    // An object, set through CSSOM: the Content-Security-Policy refuses style="" attributes.
    else if (key === "style") Object.assign(node.style, value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function flash(message, kind = "error") {
  const box = $("flash");
  if (!box) return;
  box.textContent = message;
  box.className = `flash ${kind}`;
  box.hidden = !message;
}

// One <option> per item, then a choice:
//   value, text, title: how an item becomes an option (value defaults to the item's id);
//   blank: the text of a first, empty option ("— none —"), if the list has one;
//   chosen: the value to select. null selects the blank option (nothing, without one); a value
//   that no option has, or none given, leaves the first option selected.
export function fillSelect(select, items, { value = (item) => item.id, text, title, blank, chosen } = {}) {
  select.replaceChildren(
    ...(blank ? [el("option", { value: "", text: blank })] : []),
    ...items.map((item) => el("option", {
      value: String(value(item)), text: text(item), title: title ? title(item) : null,
    })));
  if (chosen === null) select.value = "";
  else if (chosen !== undefined && items.some((item) => String(value(item)) === String(chosen))) {
    select.value = String(chosen);
  }
}
