// Consent: record a signed consent (scope, expiry, the signed form) and
// revoke one; a revocation's answer lists the exports to take down.
import {get, post, enc, can} from './api.js';
import {h, clear, field, select, alertBox, statusBox, say, day} from './dom.js';
import {link} from './router.js';

export async function renderConsent(root, [code]) {
  const err = alertBox();
  const status = statusBox();
  const list = h('ul', {class: 'consents'});
  const takedown = h('div', {class: 'takedown'});
  const sec = h('section', {class: 'page'},
    h('p', {class: 'crumbs'}, h('a', {href: link('clients', code)}, code), ' › consent'),
    h('h1', {}, `Consent · ${code}`), err, status);
  root.append(sec);
  // The form and the consents side by side on a tablet (stacked on a phone),
  // so a revocation's take-down list shows next to what was revoked.
  const layout = h('div', {class: 'consent-layout'});
  sec.append(layout);

  if (can('provider')) {
    const scope = select([['marketing', 'Marketing'], ['education', 'Education'], ['clinical', 'Clinical']], 'marketing');
    const expires = h('input', {type: 'date'});
    const form = h('input', {type: 'file', accept: 'application/pdf,image/jpeg,image/png'});
    const formErr = alertBox();
    const button = h('button', {type: 'submit', class: 'primary'}, 'Record consent');
    const f = h('form', {class: 'card consent-form'}, h('h2', {}, 'Record a consent'),
      field('Scope', scope), field('Expires', expires, 'Leave empty for no expiry.'),
      field('Signed form', form, 'A scan or photo of the form the client signed.'), formErr,
      h('div', {class: 'actions'}, button));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      say(formErr, '');
      const body = new FormData();
      body.append('scope', scope.value);
      if (expires.value) body.append('expires', expires.value);
      if (form.files && form.files[0]) body.append('form', form.files[0], form.files[0].name);
      button.disabled = true;
      try {
        const k = await post(`/api/v1/clients/${enc(code)}/consents`, body);
        say(status, `Recorded ${k.scope} consent ${k.consent_id}.`);
        f.reset();
        load();
      } catch (x) {
        say(formErr, x.message);
      } finally {
        button.disabled = false;
      }
    });
    layout.append(f);
  }
  layout.append(h('div', {class: 'consent-side'}, h('h2', {}, 'Consents'), list, takedown));

  async function load() {
    try {
      const r = await get(`/api/v1/clients/${enc(code)}/consents`);
      clear(list);
      if (!r.consents.length) list.append(h('li', {class: 'empty'}, 'No consent recorded.'));
      for (const k of r.consents) {
        const row = h('li', {class: `consent state-${k.state}`},
          h('span', {class: 'scope'}, k.scope),
          h('span', {class: 'badge'}, k.state),
          // each date on one line: "2026-" / "12-01" reads as two numbers
          h('span', {class: 'muted'}, [['granted', k.granted_at], ['expires', k.expires_at], ['revoked', k.revoked_at]]
            .filter(([, at]) => at).flatMap(([what, at], i) => [i ? ' · ' : '', h('span', {class: 'nowrap'}, `${what} ${day(at)}`)])));
        if (!k.revoked_at && can('provider')) {
          row.append(h('button', {type: 'button', class: 'danger', onclick: () => revoke(k)}, 'Revoke'));
        }
        list.append(row);
      }
    } catch (x) {
      say(err, x.message);
    }
  }

  async function revoke(k) {
    say(err, '');
    clear(takedown);
    try {
      const r = await post(`/api/v1/consents/${k.consent_id}/revoke`);
      const n = r.takedown.length;
      say(status, '');
      status.hidden = false;
      status.append(`Revoked ${r.revoked === 1 ? 'the' : r.revoked} ${r.scope} consent${r.revoked === 1 ? '' : 's'} of `,
        h('span', {class: 'nowrap'}, r.client),
        n ? ` — ${n} export${n === 1 ? '' : 's'} to take down, listed under the consents.` : '; no export used it.');
      takedown.append(h('h2', {}, 'Exports to take down'));
      if (!r.takedown.length) takedown.append(h('p', {}, 'No export used this consent.'));
      const ul = h('ul', {class: 'takedown-list'});
      for (const e of r.takedown) {
        ul.append(h('li', {}, `Export ${e.export_id} (${e.purpose}, ${day(e.created_at)}): `,
          e.files.join(', ')));
      }
      takedown.append(ul);
      takedown.scrollIntoView({block: 'nearest'});
      load();
    } catch (x) {
      say(err, x.message);
    }
  }
  load();
}
