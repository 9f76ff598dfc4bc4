import {get, enc, can} from './api.js';
import {h, alertBox, say, day} from './dom.js';
import {link} from './router.js';

// Photos grouped by area, then by session (date order).
export function byArea(sessions) {
  const areas = new Map();
  for (const s of sessions) {
    for (const p of s.photos || []) {
      for (const a of (p.areas && p.areas.length ? p.areas : [p.area])) {
        if (!areas.has(a)) areas.set(a, new Map());
        const m = areas.get(a);
        if (!m.has(s.session_id)) m.set(s.session_id, {session: s, photos: []});
        m.get(s.session_id).photos.push(p);
      }
    }
  }
  return areas;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
function summary(sessions, photos) {
  return sessions ? `${plural(sessions, 'session', 'sessions')} · ${plural(photos, 'photo', 'photos')}`
                  : 'No sessions yet';
}

export function thumb(p, area, size = 'thumb') {
  return h('img', {src: `/api/v1/photos/${p.photo_id}/image?size=${size}`,
                   alt: `${area} ${p.stage} ${day(p.session_date)}`,
                   width: p.width >= p.height ? 320 : Math.round(320 * p.width / p.height),
                   height: p.width >= p.height ? Math.round(320 * p.height / p.width) : 320,
                   decoding: 'async'});
}

export async function renderClient(root, [code]) {
  const err = alertBox();
  const sec = h('section', {class: 'page'}, h('h1', {}, code), err);
  root.append(sec);
  let c;
  try {
    c = await get(`/api/v1/clients/${enc(code)}`);
  } catch (x) {
    say(err, x.message);
    return;
  }
  const areas = byArea(c.sessions || []);
  const first = areas.keys().next().value;
  const nav = h('div', {class: 'actions'});
  if (first) {
    nav.append(h('a', {class: 'button', href: link('compare', c.client, first)}, 'Compare'),
               h('a', {class: 'button', href: link('timeline', c.client, first)}, 'Timeline'));
  }
  nav.append(h('a', {class: 'button', href: link('consent', c.client)}, 'Consent'));
  if (can('provider')) nav.append(h('a', {class: 'button quiet', href: `#/capture?client=${enc(c.client)}`}, 'Capture for this client'));
  sec.append(h('p', {class: 'lead'}, c.name || ''),
    h('p', {class: 'muted'}, summary((c.sessions || []).length, c.photos)), nav);
  if (!areas.size) sec.append(h('p', {class: 'empty'}, 'No photos yet.'));
  for (const [area, sessions] of areas) {
    const rows = [...sessions.values()].sort((a, b) =>
      a.session.date < b.session.date ? -1 : a.session.date > b.session.date ? 1 : a.session.number - b.session.number);
    const block = h('section', {class: 'area'},
      h('div', {class: 'area-head'}, h('h2', {}, area),
        h('a', {href: link('compare', c.client, area), class: 'quiet-link'}, `Compare ${area}`)));
    for (const r of rows) {
      block.append(h('div', {class: 'session'},
        h('h3', {}, `${day(r.session.date)}`, h('span', {class: 'muted'}, r.session.treatment ? ` · ${r.session.treatment}` : '')),
        h('ul', {class: 'thumbs'}, r.photos.map((p) =>
          h('li', {}, h('figure', {}, thumb(p, area),
            h('figcaption', {}, `${p.stage} · ${p.view}`)))))));
    }
    sec.append(block);
  }
}
