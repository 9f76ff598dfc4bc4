import {get, post, q, can} from './api.js';
import {h, clear, field, alertBox, say, page} from './dom.js';
import {link, go} from './router.js';

export function renderClients(root) {
  const search = h('input', {type: 'search', 'aria-label': 'Search clients',
                             placeholder: 'Search by code or name'});
  const list = h('ul', {class: 'client-list'});
  const err = alertBox();
  const count = h('p', {class: 'muted', role: 'status'});
  const tools = h('div', {class: 'toolbar'}, search);
  const form = h('form', {class: 'card new-client', hidden: true});
  if (can('provider')) {
    const code = h('input', {type: 'text', autocomplete: 'off', required: true, spellcheck: 'false'});
    const name = h('input', {type: 'text', autocomplete: 'off'});
    const formErr = alertBox();
    form.append(h('h2', {}, 'New client'), field('Client code', code), field('Name', name), formErr,
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add client'),
        h('button', {type: 'button', class: 'quiet', onclick: () => { form.hidden = true; }}, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      say(formErr, '');
      try {
        const c = await post('/api/v1/clients', {client: code.value.trim(), name: name.value.trim()});
        go(link('clients', c.client));
      } catch (x) {
        say(formErr, x.message);
      }
    });
    tools.append(h('button', {type: 'button', class: 'primary', onclick: () => {
      form.hidden = false;
      code.focus();
    }}, 'New client'));
  }
  root.append(page('Clients', tools, form, err, count, list));

  let seq = 0;
  async function load() {
    const mine = ++seq;
    try {
      const r = await get('/api/v1/clients' + q({q: search.value.trim()}));
      if (mine !== seq) return;
      clear(list);
      say(err, '');
      for (const c of r.clients) {
        list.append(h('li', {class: 'client-row'},
          h('a', {href: link('clients', c.client), class: 'code'}, c.client),
          h('span', {class: 'name'}, c.name || ''),
          h('span', {class: 'count muted'}, `${c.photos} photo${c.photos === 1 ? '' : 's'}`)));
      }
      count.textContent = r.clients.length ? `${r.clients.length} client${r.clients.length === 1 ? '' : 's'}`
                                            : search.value.trim() ? 'No clients match.' : 'No clients yet: add the first with New client.';
    } catch (x) {
      say(err, x.message);
    }
  }
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 200); });
  load();
}
