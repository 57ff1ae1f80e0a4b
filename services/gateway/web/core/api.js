// THE API client of the dashboard: every screen's requests go through here (screens get these in ctx).
// The token logic (bearer header, refresh before expiry, one refresh and retry on a 401) is session.js's.
import { api, session } from "./session.js";

export { api };

// The items of a list answer: a page ({items, next_cursor}) or a plain array.
export const items = (page) => (Array.isArray(page) ? page : page?.items ?? []);

// Every item of a paged list, following next_cursor (a wall or a map shows the whole city).
export async function allItems(path, maxPages = 20) {
  const all = [];
  let cursor = null;
  for (let n = 0; n < maxPages; n++) {
    const page = await api(cursor ? `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}` : path);
    all.push(...items(page));
    cursor = page?.next_cursor;
    if (!cursor) break;
  }
  return all;
}

// A file from the API (an export, an attachment) saved by the browser: fetched with the bearer token,
// since a plain link would carry no Authorization header.
export async function download(path, filename) {
  const response = await api(path, { raw: true });
  const blob = await response.blob();
  const name = filename ?? response.headers.get("content-disposition")?.match(/filename="?([^";]+)"?/)?.[1] ?? path.split("/").pop().split("?")[0];
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

export { session };
