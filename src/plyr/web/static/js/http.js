// The page modules' way to the server: same-origin requests whose failures read as the
// server's {"detail"}, and navigation that swaps <main> only, so the player keeps playing.

class HttpError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const unexplained = (status) => `something went wrong (HTTP ${status})`;

/** The {"detail"} of a failed response: a string, or an object's message. */
export async function detail(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : body.detail?.message || unexplained(response.status);
  } catch {
    return unexplained(response.status); // not JSON
  }
}

/**
 * JSON in (FormData as it is) and out, null for a 204.
 * @throws {HttpError} the response's detail and status when it is not ok
 */
export async function request(method, url, body) {
  /** @type {RequestInit & {headers: Record<string, string>}} */
  const init = { method, credentials: "same-origin", headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, init);
  if (response.ok) return response.status === 204 ? null : response.json();
  throw new HttpError(await detail(response), response.status);
}

/** Load `url` into <main>; `push` adds a history entry, otherwise it replaces this one. */
export function visit(url, { push = true } = {}) {
  if (!window.htmx) {
    location.href = url;
    return;
  }
  window.htmx.ajax("GET", url, { target: "main", select: "main", swap: "outerHTML" }).then(() => {
    if (push) history.pushState({ htmx: true }, "", url);
    else history.replaceState({ htmx: true }, "", url);
  });
}
