import {api} from './api.js';
import {h, field, alertBox, say} from './dom.js';

export function renderLogin(root, signedIn) {
  const user = h('input', {type: 'text', name: 'username', autocomplete: 'username',
                           required: true, autocapitalize: 'none', spellcheck: 'false'});
  const pass = h('input', {type: 'password', name: 'password', autocomplete: 'current-password',
                           required: true});
  const err = alertBox();
  const button = h('button', {type: 'submit', class: 'primary wide'}, 'Log in');
  const form = h('form', {class: 'login-card', novalidate: true},
    h('div', {class: 'login-brand'}, h('img', {src: '/app/icon.svg', alt: '', width: 40, height: 40}),
      h('span', {}, 'beforeafter')),
    h('h1', {}, 'Sign in'),
    h('p', {class: 'muted'}, 'Clinical photography for your clinic.'),
    field('Username', user), field('Password', pass), err, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(err, '');
    if (!user.value || !pass.value) {
      say(err, 'Enter your username and password.');
      return;
    }
    button.disabled = true;
    try {
      const who = await api('POST', '/api/v1/session', {username: user.value, password: pass.value});
      pass.value = '';
      signedIn(who);
    } catch (x) {
      pass.value = '';
      say(err, x.status === 429 ? 'Too many failed attempts for this name; wait 15 minutes.'
                                : x.status === 401 ? 'The username or password is wrong.' : x.message);
      pass.focus();
    } finally {
      button.disabled = false;
    }
  });
  root.append(h('div', {class: 'login'}, form));
  setTimeout(() => user.focus(), 0);
}
