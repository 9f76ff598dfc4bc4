// Building the page without HTML strings: every piece of data from the API
// goes in as text (textContent) or as an attribute value, never as markup.

// h('button', {type: 'button', onclick: fn, class: 'primary'}, 'Save', child…)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'text') {
      el.textContent = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let fieldCount = 0;

// A labelled control: h('label') wrapping text + control, so the control's
// accessible name is exactly @label.
export function field(label, control, hint) {
  const id = control.id || `f${++fieldCount}`;
  control.id = id;
  const wrap = h('div', {class: 'field'},
    h('label', {for: id}, label), control);
  if (hint) {
    const hid = `${id}-hint`;
    control.setAttribute('aria-describedby', hid);
    wrap.append(h('p', {class: 'hint', id: hid}, hint));
  }
  return wrap;
}

export function select(options, value) {
  const s = h('select');
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const opt = h('option', {value: v}, text);
    if (v === value) opt.selected = true;
    s.append(opt);
  }
  return s;
}

// A live region: role=alert for errors, role=status for progress and success.
export function alertBox() {
  return h('p', {role: 'alert', class: 'alert', hidden: true});
}
export function statusBox() {
  return h('p', {role: 'status', class: 'status'});
}
export function say(box, text) {
  box.textContent = text || '';
  box.hidden = !text;
}

export function page(title, ...children) {
  return h('section', {class: 'page'}, h('h1', {}, title), ...children);
}

// "2026-03-04" from a session date or a stamp.
export function day(s) {
  return (s || '').slice(0, 10);
}

// Focus the page's heading after a route change, for screen readers and keyboards.
export function focusHeading(root) {
  const h1 = root.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({preventScroll: true});
  }
}
