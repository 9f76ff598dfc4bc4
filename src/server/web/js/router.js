// Hash routes: #/clients, #/clients/C-1, #/capture, #/compare/C-1/cheeks,
// #/timeline/C-1/cheeks, #/consent/C-1, #/marketing, #/users, #/audit.

const routes = [];

export function route(pattern, render) {
  const parts = pattern.split('/').filter(Boolean);
  routes.push({parts, render});
}

export function current() {
  const hash = location.hash.replace(/^#/, '') || '/clients';
  const [path, query = ''] = hash.split('?');
  return {path, query: new URLSearchParams(query)};
}

export function match(path) {
  const have = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  for (const r of routes) {
    if (r.parts.length !== have.length) continue;
    const params = [];
    let ok = true;
    r.parts.forEach((p, i) => {
      if (p === '*') params.push(have[i]);
      else if (p !== have[i]) ok = false;
    });
    if (ok) return {render: r.render, params};
  }
  return null;
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export function link(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(p)).join('/');
}
