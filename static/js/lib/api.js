// Calling the JSON API and turning its errors into words.

export class ApiError extends Error {
  // `problems` keeps FastAPI's list (loc, msg, fix) so a page can show each where it belongs;
  // `body` the whole answer, for what a 422 says beside them (a partial summary).
  constructor(status, message, problems, body = null) {
    super(message);
    this.status = status;
    this.problems = problems;
    this.body = body;
  }

  static from(status, data, text) {
    const detail = data && data.detail;
    if (Array.isArray(detail)) {
      return new ApiError(status, detail.map((p) => p.msg).join("\n"), detail, data);
    }
    if (typeof detail === "string") return new ApiError(status, detail, [], data);
    return new ApiError(status, `The server answered ${status}. ${text ? text.slice(0, 200) : ""}`, []);
  }
}

export function safeJson(text) {
  try { return JSON.parse(text); } catch { return null; }
}

export const api = {
  async request(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
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
  put: (path, body, headers) => api.request("PUT", path, body, headers),
  del: (path) => api.request("DELETE", path),
};
