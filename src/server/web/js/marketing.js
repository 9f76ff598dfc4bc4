// Marketing: the comparisons this user may see (for a marketing user, only
// those of clients with an active marketing consent — the server decides),
// and exports with eye bars placed over a live preview of the reference photo.
import {get, post, enc, can} from './api.js';
import {h, clear, field, select, alertBox, statusBox, say, page, day} from './dom.js';

// What marketing posts: the comparison at full size, or filling a social
// preset (the library stacks tall presets and centres the content).
const FORMATS = [['png', 'Full size · PNG'], ['square', 'Square 1080 × 1080 · JPEG'],
                 ['portrait', 'Portrait 1080 × 1350 · JPEG'], ['story', 'Story 1080 × 1920 · JPEG'],
                 ['webp', 'Full size · WebP']];
const PRESETS = ['square', 'portrait', 'story'];
const LABELS = [['stage', 'Stage'], ['date', 'Date'], ['full', 'Stage and date'], ['none', 'None']];
// GET /api/v1/photos/{id}/detect proposes the eye markers (false: never ask,
// for a server without the detector, where asking would only log a 404).
const DETECTOR = true;

const MODES = [['eyes', 'Eye bar'], ['half-letterbox', 'Half letterbox'], ['blur-face', 'Blurred face'],
               ['none', 'None']];

export function renderMarketing(root) {
  const err = alertBox();
  const grid = h('ul', {class: 'cards'});
  const count = h('p', {class: 'muted', role: 'status'});
  root.append(page('Marketing', h('p', {class: 'lead'},
    'Comparisons of clients who gave marketing consent. Every export is checked against consent again.'),
    err, count, grid));
  (async () => {
    try {
      const r = await get('/api/v1/comparisons');
      const list = r.comparisons.filter((c) => !c.stale);
      count.textContent = list.length ? `${list.length} comparison${list.length === 1 ? '' : 's'}` : 'No comparison may be used for marketing yet.';
      for (const c of list) grid.append(card(c));
    } catch (x) {
      say(err, x.message);
    }
  })();
}

function card(c) {
  const panel = h('div', {class: 'export-panel', hidden: true});
  const btn = h('button', {type: 'button', class: 'primary', 'aria-expanded': 'false',
    'aria-label': 'Export', 'aria-describedby': `cmp-${c.comparison_id}`}, 'Export');
  btn.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    // Open, the card takes the whole row: controls on the left, the live
    // preview with the bars beside them (stacked on a phone).
    li.classList.toggle('exporting', open);
    if (open && !panel.firstChild) exportPanel(panel, c);
    // the preview in view: the whole card beside it on a tablet, the panel
    // (preview first) on a phone
    if (open) (matchMedia('(min-width: 900px)').matches ? li : panel).scrollIntoView({block: 'start'});
  });
  const li = h('li', {class: 'card comparison'},
    h('img', {src: `/api/v1/comparisons/${c.comparison_id}/image`, alt: `Comparison ${c.comparison_id} of ${c.client}`,
              loading: 'lazy'}),
    h('div', {class: 'meta', id: `cmp-${c.comparison_id}`},
      h('strong', {}, c.client), ` · ${c.areas.join(', ')} · ${c.layout} · `,
      h('span', {class: 'nowrap'}, day(c.created_at))),
    can('marketing') ? h('div', {class: 'actions'}, btn) : null, panel);
  return li;
}

async function exportPanel(panel, c) {
  const format = select(FORMATS, 'png');
  const labels = select(LABELS, 'stage');
  const mode = select(MODES, 'eyes');
  const err = alertBox();
  const status = statusBox();
  const download = h('p', {class: 'download'});
  const img = h('img', {alt: 'Reference photo of the comparison', draggable: 'false'});
  const bar = h('div', {class: 'bar', 'aria-hidden': 'true'});
  const eyes = [{x: 0.4, y: 0.4, name: 'Left eye'}, {x: 0.6, y: 0.4, name: 'Right eye'}];
  // Until the user moves a marker, the export sends no eye points: the
  // library then finds the eyes on every panel itself (and refuses, with its
  // reason shown, when it finds none); the markers only preview that.
  let moved = false;
  const handles = eyes.map((e) => h('button', {type: 'button', class: 'eye', 'aria-label': e.name,
    title: `${e.name}: drag, or use the arrow keys`}));
  const stage = h('div', {class: 'redact-stage'}, img, bar, ...handles);
  const exportBtn = h('button', {type: 'button', class: 'primary'}, 'Export image');
  const hint = h('p', {role: 'status', class: 'hint-box'},
    'No eyes were found on this photo: drag the two markers onto the eye centres (or use the arrow keys), or export to have each panel searched again.');
  panel.append(h('div', {class: 'export-controls'},
      field('Format', format), field('Labels', labels), field('De-identification', mode),
      hint, h('div', {class: 'actions'}, exportBtn), err, status, download),
    h('div', {class: 'export-preview'}, stage));

  const ref = c.photos[0];
  let photo = null;
  try {
    photo = await get(`/api/v1/photos/${ref}`);
  } catch (x) {
    say(err, x.message);
  }
  img.src = `/api/v1/photos/${ref}/image?size=preview`;
  // The detector's proposal, when the server has one (else the user places them).
  if (DETECTOR) try {
    const d = await get(`/api/v1/photos/${ref}/detect`);
    const pts = Array.isArray(d.eyes) && d.eyes.length === 4 ? [[d.eyes[0], d.eyes[1]], [d.eyes[2], d.eyes[3]]]
              : Array.isArray(d.eyes) && d.eyes.length === 2 ? d.eyes.map((e) => [e.x ?? e[0], e.y ?? e[1]]) : null;
    if (pts && photo) {
      pts.forEach(([x, y], i) => { eyes[i].x = x / photo.width; eyes[i].y = y / photo.height; });
      hint.textContent = 'The markers are where the eyes were found; check them, and drag to correct.';
    }
  } catch (x) { /* no detector: the user places the markers */ }

  function draw() {
    eyes.forEach((e, i) => {
      handles[i].style.left = `${e.x * 100}%`;
      handles[i].style.top = `${e.y * 100}%`;
    });
    const W = photo ? photo.width : 1, H = photo ? photo.height : 1;
    const [a, b] = eyes.map((e) => [e.x * W, e.y * H]);
    const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    let x0 = Math.min(a[0], b[0]) - 0.5 * d, x1 = Math.max(a[0], b[0]) + 0.5 * d;
    let y0 = Math.min(a[1], b[1]) - 0.3 * d, y1 = Math.max(a[1], b[1]) + 0.3 * d;
    const m = mode.value;
    if (m === 'half-letterbox') y1 = y0 + (y1 - y0) / 2;
    if (m === 'blur-face') {
      const cx = (a[0] + b[0]) / 2, cy = (a[1] + b[1]) / 2;
      x0 = cx - 1.3 * d; x1 = cx + 1.3 * d; y0 = cy - 1.3 * d; y1 = cy + 2.1 * d;
    }
    bar.hidden = m === 'none';
    bar.className = m === 'blur-face' ? 'bar blur' : 'bar';
    for (const el of handles) el.hidden = m === 'none';
    bar.style.left = `${(x0 / W) * 100}%`;
    bar.style.top = `${(y0 / H) * 100}%`;
    bar.style.width = `${((x1 - x0) / W) * 100}%`;
    bar.style.height = `${((y1 - y0) / H) * 100}%`;
  }
  handles.forEach((el, i) => {
    el.addEventListener('pointerdown', (e) => { el.setPointerCapture(e.pointerId); e.preventDefault(); });
    el.addEventListener('pointermove', (e) => {
      if (!el.hasPointerCapture(e.pointerId)) return;
      const r = stage.getBoundingClientRect();
      eyes[i].x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
      eyes[i].y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
      moved = true;
      draw();
    });
    el.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 0.02 : 0.005;
      const dx = {ArrowLeft: -step, ArrowRight: step}[e.key] || 0, dy = {ArrowUp: -step, ArrowDown: step}[e.key] || 0;
      if (!dx && !dy) return;
      e.preventDefault();
      eyes[i].x = Math.min(1, Math.max(0, eyes[i].x + dx));
      eyes[i].y = Math.min(1, Math.max(0, eyes[i].y + dy));
      moved = true;
      draw();
    });
  });
  mode.addEventListener('change', draw);
  draw();

  exportBtn.addEventListener('click', async () => {
    say(err, '');
    clear(download);
    const body = {comparisons: [c.comparison_id], purpose: 'marketing', label_style: labels.value};
    if (PRESETS.includes(format.value)) Object.assign(body, {preset: format.value, format: 'jpg'});
    else body.format = format.value;
    if (mode.value !== 'none') {
      body.deidentify = mode.value;
      if (photo && moved) body.eyes = eyes.flatMap((e) => [Math.round(e.x * photo.width), Math.round(e.y * photo.height)]);
    }
    exportBtn.disabled = true;
    say(status, 'Exporting…');
    try {
      const r = await post('/api/v1/exports', body);
      const id = r.export_id, files = (r.export && r.export.files) || [];
      say(status, `Export ${id} is ready: ${files.length} file${files.length === 1 ? '' : 's'}.`);
      const image = files.find((f) => /\.(png|jpe?g|webp)$/.test(f)) || files[0];
      if (image) {
        download.append(h('a', {class: 'button', href: `/api/v1/exports/${id}/files/${enc(image)}`,
          download: image}, 'Download'));
      }
    } catch (x) {
      say(status, '');
      say(err, x.message);
    } finally {
      exportBtn.disabled = false;
    }
  });
}
