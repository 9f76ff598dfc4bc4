// Talking to /api/v1: credentials always, X-CSRF-Token on every write,
// and a 401 anywhere forgets everything and goes back to signing in.

export const session = {user: null, role: null, csrf: null};

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function forget() {
  session.user = session.role = session.csrf = null;
}

export async function api(method, path, body) {
  const headers = {Accept: 'application/json'};
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  try {
    res = await fetch(path, {method, headers, body: payload, credentials: 'same-origin',
                             cache: 'no-store'});
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached; check the connection.');
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) data = await res.json();
  if (res.status === 401 && path !== '/api/v1/session') {
    forget();
    onSignedOut();
    throw new ApiError(401, 'unauthorized', 'Your session has ended; sign in again.');
  }
  if (!res.ok) {
    const e = data && data.error ? data.error : {code: 'http', message: `The server answered ${res.status}.`};
    throw new ApiError(res.status, e.code, e.message);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

export function can(role) {
  return session.role === 'admin' || session.role === role;
}
