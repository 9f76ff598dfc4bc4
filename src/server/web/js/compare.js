// Compare: one client and area, sessions in date order; a before/after
// slider over the after photo warped onto the before (the stored alignment),
// side by side, a timeline, and a rendered comparison to download.
import {get, post, q, enc, can} from './api.js';
import {h, clear, alertBox, statusBox, say, day, select, field} from './dom.js';
import {link} from './router.js';

// The photos to compare: those of the view most of them share, in date
// order, and within a day (a before and an after of one session) by stage.
const STAGE_ORDER = {before: 0, progress: 1, after: 2};
function inOrder(photos) {
  const views = new Map();
  for (const p of photos) if (!p.retracted_at) views.set(p.view, (views.get(p.view) || 0) + 1);
  const view = [...views.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return photos.filter((p) => !p.retracted_at && p.view === view).sort((a, b) =>
    a.session_date.localeCompare(b.session_date) || a.session_number - b.session_number ||
    (STAGE_ORDER[a.stage] ?? 1) - (STAGE_ORDER[b.stage] ?? 1) || a.photo_id - b.photo_id);
}

const label = (p) => `${day(p.session_date)} · ${p.stage}`;

// The part of the before photo's frame that the after photo, warped onto it,
// covers: the warp leaves black wedges where the after photo has no pixels
// (taken from a little further away, or turned). Returns the insets in % of
// the frame (top, right, bottom, left), or null when there is nothing to cut
// or the common area would be less than 70 % of the frame each way. A pixel
// is a hole where the after photo is black and the before photo is not, so
// a black backdrop in both is kept. Measured on a 320 px copy in a canvas
// that is never in the page and is emptied at once.
function commonArea(after, before) {
  if (!after.naturalWidth || !before.naturalWidth) return null;
  const W = 320, H = Math.max(1, Math.round(W * after.naturalHeight / after.naturalWidth));
  const c = document.createElement('canvas');
  c.width = W;
  c.height = H;
  const g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(after, 0, 0, W, H);
  const a = g.getImageData(0, 0, W, H).data;
  g.drawImage(before, 0, 0, W, H);
  const b = g.getImageData(0, 0, W, H).data;
  c.width = c.height = 0;
  const hole = (x, y) => {
    const i = (y * W + x) * 4;
    return Math.max(a[i], a[i + 1], a[i + 2]) < 14 && Math.max(b[i], b[i + 1], b[i + 2]) >= 24;
  };
  let t = 0, r = W - 1, bt = H - 1, l = 0;
  const row = (y) => { let n = 0; for (let x = l; x <= r; x++) n += hole(x, y); return n > (r - l) * 0.02; };
  const col = (x) => { let n = 0; for (let y = t; y <= bt; y++) n += hole(x, y); return n > (bt - t) * 0.02; };
  // Move every side that still crosses a hole inward until none does: the
  // covered area is convex, so a rectangle whose edges are in it is in it.
  for (;;) {
    const bad = [row(t), col(r), row(bt), col(l)];
    if (!bad.some(Boolean)) break;
    if (bad[0]) t++;
    if (bad[1]) r--;
    if (bad[2]) bt--;
    if (bad[3]) l++;
    if (r - l < W * 0.7 || bt - t < H * 0.7) return null;
  }
  if (!t && !l && r === W - 1 && bt === H - 1) return null;
  // one pixel more on every side: the small copy blurs a sliver of the wedge
  // thinner than its pixels into the photo's own colours
  return [t + 1, W - r, H - bt, l + 1].map((v, i) => (v * 100) / (i % 2 ? W : H));
}

export async function renderCompare(root, [code, area], query, mode) {
  const err = alertBox();
  const status = statusBox();
  const sec = h('section', {class: 'page'},
    h('p', {class: 'crumbs'}, h('a', {href: link('clients', code)}, code), ' › ', area),
    h('h1', {}, `${code} · ${area}`), err);
  root.append(sec);
  let photos;
  try {
    photos = inOrder((await get('/api/v1/photos' + q({client: code, area}))).photos);
  } catch (x) {
    say(err, x.message);
    return;
  }
  if (photos.length < 1) {
    sec.append(h('p', {class: 'empty'}, 'No photos of this area yet.'));
    return;
  }
  const options = photos.map((p) => [String(p.photo_id), label(p)]);
  const beforeSel = select(options, String(photos[0].photo_id));
  const afterSel = select(options, String(photos[photos.length - 1].photo_id));
  const sessions = h('ol', {class: 'sessions', 'aria-label': 'Photos in date order'});
  photos.forEach((p) => sessions.append(h('li', {}, h('img', {
    src: `/api/v1/photos/${p.photo_id}/image?size=thumb`, alt: `${area} ${p.stage} ${day(p.session_date)}`}),
    h('span', {}, label(p)))));

  const beforeImg = h('img', {class: 'before', alt: ''});
  const afterImg = h('img', {class: 'after', alt: ''});
  const afterWrap = h('div', {class: 'after-wrap'}, afterImg);
  const handle = h('div', {class: 'handle', 'aria-hidden': 'true'});
  const slider = h('div', {class: 'slider', role: 'slider', tabindex: 0, 'aria-label': 'Before/after',
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 50},
    beforeImg, afterWrap, handle,
    h('span', {class: 'tag tag-before', 'aria-hidden': 'true'}, 'Before'),
    h('span', {class: 'tag tag-after', 'aria-hidden': 'true'}, 'After'));
  const sideBySide = h('div', {class: 'side-by-side', hidden: true});
  const timeline = h('ol', {class: 'timeline', hidden: true});
  const note = h('p', {class: 'muted small'});

  const sideBtn = h('button', {type: 'button', 'aria-pressed': 'false'}, 'Side by side');
  const timeBtn = h('button', {type: 'button', 'aria-pressed': 'false'}, 'Timeline');
  const renderBtn = h('button', {type: 'button', class: 'primary'}, 'Render comparison');
  const download = h('p', {class: 'download'});
  if (!can('provider')) renderBtn.hidden = true;

  // The tools beside the viewer on a tablet, under it on a phone: the photos
  // are what the provider came for, so they get the height of the screen.
  sec.append(h('div', {class: 'compare-layout'},
    h('div', {class: 'compare-tools card'},
      field('Before', beforeSel), field('After', afterSel),
      h('div', {class: 'actions'}, sideBtn, timeBtn, renderBtn), note, status, download),
    h('div', {class: 'viewer'}, slider, sideBySide, timeline)),
    h('h2', {}, 'All sessions'), sessions);

  // The slider's value: where the divider stands, 0 (left edge) to 100
  // (right edge); the before photo shows left of it, the after photo right.
  let value = 50;
  function set(v) {
    value = Math.max(0, Math.min(100, Math.round(v)));
    slider.setAttribute('aria-valuenow', String(value));
    slider.setAttribute('aria-valuetext', `divider at ${value}%: before on the left, after on the right`);
    afterWrap.style.clipPath = `inset(0 0 0 ${value}%)`;
    handle.style.left = `${value}%`;
  }
  slider.addEventListener('keydown', (e) => {
    const step = {ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageUp: 10, PageDown: -10}[e.key];
    if (e.key === 'Home') set(0);
    else if (e.key === 'End') set(100);
    else if (step !== undefined) set(value + step);
    else return;
    e.preventDefault();
  });
  function fromPointer(e) {
    const r = slider.getBoundingClientRect();
    set(((e.clientX - r.left) / r.width) * 100);
  }
  set(50);

  const byId = new Map(photos.map((p) => [String(p.photo_id), p]));
  const aligned = (id, ref) => `/api/v1/photos/${id}/aligned?to=${ref}&size=1600`;

  // Load @img with photo @id warped onto @ref; when there is no alignment yet,
  // a provider aligns them first; without one the plain preview is shown.
  function loadAligned(img, id, ref) {
    return new Promise((resolve) => {
      const plain = () => {
        img.onerror = null;
        img.onload = () => resolve(false);
        img.src = `/api/v1/photos/${id}/image?size=preview`;
      };
      img.onload = () => resolve(true);
      img.onerror = async () => {
        img.onerror = null;
        if (!can('provider') || String(id) === String(ref)) { plain(); return; }
        try {
          await post('/api/v1/alignments', {photo: Number(id), reference: Number(ref)});
        } catch (x) {
          note.textContent = `Photo ${id} cannot be aligned onto photo ${ref}: ${x.message}`;
          plain();
          return;
        }
        img.onerror = plain;
        img.src = aligned(id, ref) + '&again=1';
      };
      img.src = aligned(id, ref);
    });
  }

  async function showPair() {
    const b = beforeSel.value, a = afterSel.value;
    const pb = byId.get(b), pa = byId.get(a);
    note.textContent = '';
    clear(download);
    for (const img of [beforeImg, afterImg]) img.style.objectViewBox = '';
    beforeImg.alt = `${area} ${pb.stage} ${day(pb.session_date)}`;
    afterImg.alt = `${area} ${pa.stage} ${day(pa.session_date)}`;
    const left = h('img', {alt: beforeImg.alt}), right = h('img', {alt: afterImg.alt});
    clear(sideBySide);
    sideBySide.append(
      h('figure', {}, left, h('figcaption', {}, `Before · ${label(pb)}`)),
      h('figure', {}, right, h('figcaption', {}, `After · ${label(pa)}`)));
    await loadAligned(beforeImg, b, b);
    const ok = await loadAligned(afterImg, a, b);
    // Both photos cut to the area they share (the same cut, so they stay
    // registered); a browser without object-view-box shows the whole frame.
    const cut = ok && a !== b && CSS.supports('object-view-box', 'inset(1%)') ? commonArea(afterImg, beforeImg) : null;
    const box = cut ? `inset(${cut.map((v) => `${v.toFixed(2)}%`).join(' ')})` : '';
    for (const img of [beforeImg, afterImg, left, right]) img.style.objectViewBox = box;
    if (ok && a !== b) {
      note.textContent = `The after photo (${a}) is warped onto the before photo (${b}) through their stored alignment` +
        (cut ? '; both are shown cut to the area they share.' : '.');
    }
    left.src = beforeImg.src;
    right.src = afterImg.src;
  }
  async function showTimeline() {
    clear(timeline);
    const ref = photos[0].photo_id;
    for (const p of photos) {
      const img = h('img', {alt: `${area} ${p.stage} ${day(p.session_date)}`});
      timeline.append(h('li', {}, h('figure', {}, img, h('figcaption', {}, label(p)))));
      await loadAligned(img, p.photo_id, ref);
    }
  }
  function setMode(m) {
    mode = m;
    slider.hidden = m !== 'slider';
    sideBySide.hidden = m !== 'side';
    timeline.hidden = m !== 'timeline';
    sideBtn.setAttribute('aria-pressed', String(m === 'side'));
    timeBtn.setAttribute('aria-pressed', String(m === 'timeline'));
    if (m === 'timeline') showTimeline();
  }
  sideBtn.addEventListener('click', () => setMode(mode === 'side' ? 'slider' : 'side'));
  timeBtn.addEventListener('click', () => setMode(mode === 'timeline' ? 'slider' : 'timeline'));
  beforeSel.addEventListener('change', showPair);
  afterSel.addEventListener('change', showPair);

  renderBtn.addEventListener('click', async () => {
    say(err, '');
    clear(download);
    const ids = mode === 'timeline' ? photos.map((p) => p.photo_id)
                                    : [Number(beforeSel.value), Number(afterSel.value)];
    if (new Set(ids).size < 2) { say(err, 'Choose two different photos.'); return; }
    renderBtn.disabled = true;
    say(status, 'Rendering…');
    try {
      const c = await post('/api/v1/comparisons', {photos: ids,
        layout: mode === 'timeline' ? 'timeline' : 'side-by-side', labels: 'stage'});
      say(status, `Comparison ${c.comparison_id} rendered${c.existing ? ' (the same as before)' : ''}.`);
      download.append(h('a', {class: 'button', href: `/api/v1/comparisons/${c.comparison_id}/image`,
        download: `comparison-${c.comparison_id}`}, 'Download'));
    } catch (x) {
      say(status, '');
      say(err, x.message);
    } finally {
      renderBtn.disabled = false;
    }
  });

  setMode(mode === 'timeline' ? 'timeline' : 'slider');
  showPair();
}
