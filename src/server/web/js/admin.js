// Users and the access audit (admin).
import {get, post, q, enc, session} from './api.js';
import {h, clear, field, select, alertBox, statusBox, say, page, day} from './dom.js';

const when = (s) => (s || '').replace('T', ' ').replace('Z', ' UTC');
// A stamp in a table cell: the date and the time as two unbreakable lines
// (the column's header says UTC), so a phone-width column stays narrow.
const stamp = (s) => {
  const [d, t] = (s || '').replace('Z', '').split('T');
  return [h('span', {class: 'nowrap'}, d || ''), t ? h('span', {class: 'nowrap stamp-time'}, t) : null];
};
// A table too wide for a phone scrolls inside its own focusable region
// (keyboard users scroll it with the arrow keys), never the page.
const scroller = (label, table) => h('div', {class: 'table-wrap', role: 'region', tabindex: 0, 'aria-label': label}, table);

export function renderUsers(root) {
  const err = alertBox();
  const status = statusBox();
  const body = h('tbody');
  const name = h('input', {type: 'text', autocomplete: 'off', spellcheck: 'false'});
  const role = select([['provider', 'Provider'], ['marketing', 'Marketing'], ['admin', 'Admin']], 'provider');
  const pass = h('input', {type: 'password', autocomplete: 'new-password', minlength: 12});
  const form = h('form', {class: 'card'}, h('h2', {}, 'Add a user'),
    h('div', {class: 'row'}, field('User name', name), field('Role', role),
      field('Initial password', pass, 'At least 12 characters.')),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add user')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(err, '');
    try {
      const u = await post('/api/v1/users', {user: name.value.trim(), role: role.value, password: pass.value});
      pass.value = '';
      form.reset();
      say(status, `Added ${u.role} ${u.user}.`);
      load();
    } catch (x) {
      pass.value = '';
      say(err, x.message);
    }
  });
  root.append(page('Users', form, err, status,
    scroller('Users', h('table', {'aria-label': 'Users'},
      h('thead', {}, h('tr', {}, ['User', 'Role', 'Added (UTC)', 'Status', 'Sessions', ''].map((t) =>
        h('th', {scope: 'col', class: t.startsWith('Added') || t === 'Sessions' ? 'wide-only' : null},
          t || h('span', {class: 'sr-only'}, 'Action'))))),
      body))));

  async function load() {
    try {
      const r = await get('/api/v1/users');
      clear(body);
      for (const u of r.users) {
        // No button to lock oneself out.
        const act = u.user === session.user ? h('span', {class: 'muted small'}, 'you')
          : u.disabled_at ? '' : h('button', {type: 'button', class: 'danger small',
          'aria-label': `Disable ${u.user}`, onclick: () => disable(u)}, 'Disable');
        body.append(h('tr', {}, h('td', {}, u.user), h('td', {}, u.role), h('td', {class: 'wide-only stamp'}, stamp(u.created_at)),
          h('td', {}, u.disabled_at ? h('span', {title: when(u.disabled_at)}, 'disabled ', h('span', {class: 'nowrap'}, day(u.disabled_at))) : 'active'),
          h('td', {class: 'wide-only'}, String(u.active_sessions)), h('td', {}, act)));
      }
    } catch (x) {
      say(err, x.message);
    }
  }
  async function disable(u) {
    say(err, '');
    try {
      await post(`/api/v1/users/${enc(u.user)}/disable`);
      say(status, `Disabled ${u.user}; their sessions have ended.`);
      load();
    } catch (x) {
      say(err, x.message);
    }
  }
  load();
}

export function renderAudit(root, params, query) {
  const err = alertBox();
  const count = h('p', {role: 'status', class: 'muted'});
  const user = h('input', {type: 'text', value: query.get('user') || '', spellcheck: 'false'});
  const client = h('input', {type: 'text', value: query.get('client') || '', spellcheck: 'false'});
  const body = h('tbody');
  const form = h('form', {class: 'card filters'},
    h('div', {class: 'row'}, field('User', user), field('Client', client),
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Filter'))));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  root.append(page('Audit', form, err, count,
    scroller('Access log', h('table', {'aria-label': 'Access log'},
      h('thead', {}, h('tr', {}, ['Time (UTC)', 'User', 'Action', 'Object', 'Client', 'From', 'Result'].map((t) =>
        h('th', {scope: 'col', class: t === 'From' ? 'wide-only' : null}, t)))),
      body))));
  async function load() {
    say(err, '');
    try {
      const r = await get('/api/v1/audit' + q({user: user.value.trim(), client: client.value.trim()}));
      clear(body);
      const rows = r.access.slice().reverse().slice(0, 500);
      for (const a of rows) {
        body.append(h('tr', {class: a.result === 'ok' ? '' : 'refused'},
          h('td', {class: 'stamp'}, stamp(a.at)), h('td', {}, a.user || ''), h('td', {class: 'nowrap'}, a.action || ''),
          h('td', {class: 'nowrap'}, a.object || ''), h('td', {class: 'nowrap'}, a.client || ''),
          h('td', {class: 'wide-only'}, a.remote || ''),
          h('td', {}, a.result || '')));
      }
      count.textContent = `${r.access.length} access entr${r.access.length === 1 ? 'y' : 'ies'}` +
        (r.access.length > rows.length ? ` (newest ${rows.length} shown)` : '');
    } catch (x) {
      say(err, x.message);
    }
  }
  load();
}
