// The HTTP API client: the signed-in key as a Bearer header on every call,
// problem+json answers as ApiError (error_code, error_detail), and the field
// errors a form shows next to its fields.

import { explain } from './messages.js';

const KEY = 'printhub.apiKey';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
  },
};

export function authHeaders() {
  const key = session.key;
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** A failed call: `status`, `code` (error_code), `detail` (text), `extra` (error_detail). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.error_code || `http_${status}`;
    this.extra = problem.error_detail;
    this.retryAfter = problem.retryAfter;
  }
}

/** `api('POST', '/api/…', body)` → the JSON answer (null for 204); throws ApiError. */
export async function api(method, path, body, { raw = false, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  const init = { method, headers, signal, cache: 'no-store' };
  if (body instanceof FormData) {
    // multipart/form-data (an image upload): the browser sets the boundary.
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { error_code: 'network', detail: 'The hub cannot be reached.' });
  }
  if (!res.ok) {
    let problem;
    try { problem = await res.json(); } catch { problem = { detail: res.statusText }; }
    problem.retryAfter = res.headers.get('Retry-After');
    const err = new ApiError(res.status, problem);
    if (res.status === 401) window.dispatchEvent(new CustomEvent('printhub:unauthorized'));
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);

/** Like `get`, but a 404 (a route this server does not have) is `null`. */
export async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 404 && e.code === 'not_found') return null;
    throw e;
  }
}

/** A query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The field errors of a problem, in words a person understands:
 * `{field: sentence}` (`_form` for what no field takes). See messages.js.
 */
export function fieldErrors(err, context) {
  return explain(err, context);
}

/** A one-sentence description of an error for a toast or a notice (the code goes in a title). */
export function describe(err, context) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  return Object.values(explain(err, context)).join(' ');
}
