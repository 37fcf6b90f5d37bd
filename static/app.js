// Shared by every page: calling the JSON API and showing its errors in words.
"use strict";

const api = {
  async request(method, path, body, options = {}) {
    const init = { method, headers: {} };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, "The server cannot be reached. Is it running?", []);
    }
    const text = await response.text();
    const data = text ? safeJson(text) : null;
    if (!response.ok) {
      throw ApiError.from(response.status, data, text);
    }
    return data;
  },
  get: (path) => api.request("GET", path),
  post: (path, body) => api.request("POST", path, body),
  put: (path, body) => api.request("PUT", path, body),
  del: (path) => api.request("DELETE", path),
};

function safeJson(text) {
  try { return JSON.parse(text); } catch { return null; }
}

class ApiError extends Error {
  // `problems` keeps FastAPI's list (loc, msg, fix) so a page can show each where it belongs.
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems;
  }
  static from(status, data, text) {
    const detail = data && data.detail;
    if (Array.isArray(detail)) {
      return new ApiError(status, detail.map((p) => p.msg).join("\n"), detail);
    }
    if (typeof detail === "string") return new ApiError(status, detail, []);
    return new ApiError(status, `The server answered ${status}. ${text ? text.slice(0, 200) : ""}`, []);
  }
}

function flash(message, kind = "error") {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = message;
  box.className = `flash ${kind}`;
  box.hidden = !message;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function fmtInt(n) {
  return Number(n).toLocaleString("en-US");
}

function fmtShape(shape) {
  return shape ? `(${shape.map((d) => (d === null ? "None" : d)).join(", ")})` : "?";
}

window.addEventListener("unhandledrejection", (event) => {
  const error = event.reason;
  flash(error && error.message ? error.message : String(error));
});
