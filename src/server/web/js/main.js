// The web app: sign in, then one screen per hash route.
import {session, get, api, forget, whenSignedOut} from './api.js';
import {h, clear, focusHeading} from './dom.js';
import {route, current, match, go} from './router.js';
import {renderLogin} from './login.js';
import {renderClients} from './clients.js';
import {renderClient} from './client.js';
import {renderCapture} from './capture.js';
import {renderCompare} from './compare.js';
import {renderConsent} from './consent.js';
import {renderMarketing} from './marketing.js';
import {renderUsers, renderAudit} from './admin.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const nav = document.getElementById('nav');
let cleanup = null; // what the current screen must stop (a camera, object URLs)

route('/clients', renderClients);
route('/clients/*', renderClient);
route('/capture', renderCapture);
route('/compare/*/*', (root, p, q) => renderCompare(root, p, q, 'slider'));
route('/timeline/*/*', (root, p, q) => renderCompare(root, p, q, 'timeline'));
route('/consent/*', renderConsent);
route('/marketing', renderMarketing);
route('/users', renderUsers);
route('/audit', renderAudit);

function links() {
  const r = session.role;
  const items = [['Clients', '#/clients', true],
                 ['Capture', '#/capture', r !== 'marketing'],
                 ['Marketing', '#/marketing', r !== 'provider'],
                 ['Users', '#/users', r === 'admin'],
                 ['Audit', '#/audit', r === 'admin']];
  clear(nav);
  const ul = h('ul');
  for (const [name, href, shown] of items) {
    if (!shown) continue;
    ul.append(h('li', {}, h('a', {href, 'data-nav': href}, name)));
  }
  nav.append(ul);
}

function markCurrent(path) {
  for (const a of nav.querySelectorAll('a')) {
    const here = path.startsWith(a.getAttribute('data-nav').slice(1));
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function stopScreen() {
  if (cleanup) {
    try { cleanup(); } catch (e) { /* nothing left to stop */ }
    cleanup = null;
  }
}

async function show() {
  stopScreen();
  clear(main);
  if (!session.user) {
    top.hidden = true;
    renderLogin(main, signedIn);
    return;
  }
  top.hidden = false;
  document.getElementById('who').textContent = `${session.user} · ${session.role}`;
  const {path, query} = current();
  const m = match(path);
  markCurrent(path);
  if (!m) {
    main.append(h('section', {class: 'page'}, h('h1', {}, 'Not found'),
      h('p', {}, 'There is no such page.'), h('a', {href: '#/clients'}, 'Back to clients')));
    return;
  }
  const done = m.render(main, m.params, query);
  focusHeading(main);
  if (done && typeof done.then === 'function') {
    const stop = await done.catch(() => null);
    if (typeof stop === 'function') cleanup = stop;
  } else if (typeof done === 'function') {
    cleanup = done;
  }
}

// Whether this tab signed in (the session cookie itself is HttpOnly): a
// fresh tab shows the sign-in screen without asking the server first.
const MARK = 'ba-signed-in';

function signedIn(who) {
  sessionStorage.setItem(MARK, '1');
  session.user = who.user;
  session.role = who.role;
  session.csrf = who.csrf_token;
  links();
  if (!location.hash || location.hash === '#/login') go('#/clients');
  else show();
}

function signedOut() {
  sessionStorage.removeItem(MARK);
  stopScreen();
  forget();
  clear(nav);
  // Nothing of the last screen stays in the page or in its history entry.
  history.replaceState(null, '', '/#/login');
  show();
}

whenSignedOut(signedOut);
window.addEventListener('hashchange', show);
window.addEventListener('pagehide', stopScreen);
// Coming back by "back" after a logout shows the sign-in screen, never a stale page.
window.addEventListener('pageshow', (e) => { if (e.persisted && !session.user) show(); });

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('DELETE', '/api/v1/session'); } catch (e) { /* signed out either way */ }
  signedOut();
});

(async () => {
  if (!sessionStorage.getItem(MARK)) { show(); return; }
  try {
    signedIn(await get('/api/v1/me'));
  } catch (e) {
    show();
  }
})();
