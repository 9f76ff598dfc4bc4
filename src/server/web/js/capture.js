// Capture: the live camera at its full resolution with the ghost of the
// reference photo over it; the frame is uploaded, aligned onto the reference,
// and forgotten (no copy of a patient photo stays in the page).
import {get, post, q, enc} from './api.js';
import {h, clear, field, select, alertBox, statusBox, say, page, day} from './dom.js';

const VIEWS = ['frontal', 'left-45', 'right-45', 'left-90', 'right-90', 'other'];
const STAGES = ['before', 'progress', 'after'];

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export async function renderCapture(root, params, query) {
  const err = alertBox();
  const status = statusBox();
  const client = h('select');
  const area = h('select');
  const view = select(VIEWS, 'frontal');
  const stage = select(STAGES, 'after');
  const reference = h('select');
  const opacity = h('input', {type: 'range', min: 0, max: 100, value: 50, step: 1});
  const edges = h('input', {type: 'checkbox'});
  const video = h('video', {class: 'live', autoplay: true, muted: true, playsinline: true,
                            'aria-label': 'Live camera'});
  const ghost = h('img', {class: 'ghost', alt: '', hidden: true});
  const preview = h('img', {class: 'shot', alt: 'The photo just taken', hidden: true});
  const noCamera = h('p', {class: 'muted', hidden: true},
    'No camera is available here: choose a photo instead.');
  const chooser = h('input', {type: 'file', accept: 'image/jpeg,image/png,image/heic,image/tiff'});
  const chooseField = field('Choose photo', chooser);
  const captureBtn = h('button', {type: 'button', class: 'primary big', disabled: true}, 'Capture');
  const retakeBtn = h('button', {type: 'button', class: 'big', hidden: true}, 'Retake');
  const saveBtn = h('button', {type: 'button', class: 'primary big', hidden: true}, 'Save photo');
  const resolution = h('p', {class: 'muted small'});
  const stageBox = h('div', {class: 'camera'}, video, ghost, preview);

  const settings = h('form', {class: 'card capture-form', onsubmit: (e) => e.preventDefault()},
    field('Client', client), field('Area', area), field('View', view), field('Stage', stage),
    field('Reference photo', reference),
    field('Ghost opacity', opacity), h('div', {class: 'check'}, edges,
      h('label', {for: (edges.id = 'edges-only')}, 'Edges only')),
    chooseField, resolution);
  // On a phone the settings are under the camera: a line above it says what
  // the photo will be saved as, with a way to the settings.
  const summaryText = h('span', {class: 'summary-text'});
  const summary = h('p', {class: 'capture-summary'}, summaryText,
    h('button', {type: 'button', class: 'quiet small', onclick: () => {
      settings.scrollIntoView({block: 'start'});
      client.focus({preventScroll: true});
    }}, 'Change'));
  const summarize = () => {
    summaryText.textContent = [client.value, area.value, view.value, stage.value].filter(Boolean).join(' · ');
  };
  for (const c of [client, area, view, stage]) c.addEventListener('change', summarize);

  const sec = page('Capture',
    h('div', {class: 'capture'},
      settings,
      h('div', {class: 'capture-main'}, summary, stageBox, noCamera,
        h('div', {class: 'actions capture-actions'}, captureBtn, retakeBtn, saveBtn),
        err, status)));
  root.append(sec);

  let stream = null, shot = null, shotUrl = null, ghostUrl = null, refs = [];

  function forgetShot() {
    if (shotUrl) URL.revokeObjectURL(shotUrl);
    shotUrl = null;
    shot = null;
    preview.removeAttribute('src');
    preview.hidden = true;
    chooser.value = '';
  }
  function live() {
    forgetShot();
    video.hidden = !stream;
    ghost.hidden = !ghost.getAttribute('src');
    captureBtn.hidden = false;
    captureBtn.disabled = !stream;
    retakeBtn.hidden = saveBtn.hidden = true;
  }
  function showShot(blob) {
    forgetShot();
    shot = blob;
    shotUrl = URL.createObjectURL(blob);
    preview.src = shotUrl;
    preview.hidden = false;
    video.hidden = true;
    ghost.hidden = true;
    captureBtn.hidden = true;
    retakeBtn.hidden = saveBtn.hidden = false;
    saveBtn.focus();
  }

  // The box takes the picture's shape, so the live frame, the ghost and the
  // preview are all shown whole and exactly over each other.
  function fitBox(w, hgt) {
    if (!w || !hgt) return;
    stageBox.style.aspectRatio = `${w} / ${hgt}`;
    stageBox.style.width = `min(100%, calc(68vh * ${w / hgt}))`;
  }
  preview.addEventListener('load', () => { if (!stream) fitBox(preview.naturalWidth, preview.naturalHeight); });

  function setOpacity() { ghost.style.opacity = String(opacity.value / 100); }
  opacity.addEventListener('input', setOpacity);
  setOpacity();

  async function loadGhost() {
    const id = reference.value;
    // without a reference there is no ghost to tune
    opacity.disabled = edges.disabled = !id;
    if (ghostUrl) URL.revokeObjectURL(ghostUrl);
    ghostUrl = null;
    ghost.removeAttribute('src');
    ghost.hidden = true;
    if (!id) return;
    ghost.src = `/api/v1/photos/${id}/ghost?edges=${edges.checked ? 1 : 0}&opacity=1&size=1600`;
    ghost.hidden = !!shot;
  }
  edges.addEventListener('change', loadGhost);

  async function loadReferences() {
    summarize();
    clear(reference);
    refs = [];
    if (!client.value || !area.value) { loadGhost(); return; }
    try {
      const r = await get('/api/v1/photos' + q({client: client.value, area: area.value}));
      refs = r.photos.filter((p) => !p.retracted_at)
        .sort((a, b) => (a.session_date + a.photo_id).localeCompare(b.session_date + b.photo_id));
    } catch (x) {
      say(err, x.message);
    }
    reference.append(h('option', {value: ''}, 'None (no ghost)'));
    const sameView = refs.filter((p) => p.view === view.value);
    const pick = sameView[0] || null;
    for (const p of refs) {
      const o = h('option', {value: p.photo_id}, `${day(p.session_date)} · ${p.stage} · ${p.view} (photo ${p.photo_id})`);
      if (pick && p.photo_id === pick.photo_id) o.selected = true;
      reference.append(o);
    }
    loadGhost();
  }
  for (const c of [client, area, view]) c.addEventListener('change', loadReferences);
  reference.addEventListener('change', loadGhost);

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
    // The camera's own resolution: ask high, never let the browser crop or
    // scale the frames to meet the ask (resizeMode 'none'), then take the
    // largest size the track says it can give.
    const asks = [
      {video: {width: {ideal: 4032}, height: {ideal: 3024}, resizeMode: 'none', facingMode: 'environment'}, audio: false},
      {video: {width: {ideal: 1920}, height: {ideal: 1080}, resizeMode: 'none'}, audio: false},
      {video: true, audio: false},
    ];
    for (const a of asks) {
      let s;
      try { s = await navigator.mediaDevices.getUserMedia(a); } catch (e) { continue; }
      const track = s.getVideoTracks()[0];
      const caps = track.getCapabilities ? track.getCapabilities() : {};
      if (caps.width && caps.width.max && caps.height && caps.height.max) {
        try {
          await track.applyConstraints({width: caps.width.max, height: caps.height.max, resizeMode: 'none'});
        } catch (e) { /* keep what it gave */ }
      }
      return s;
    }
    return null;
  }

  captureBtn.addEventListener('click', () => {
    const track = stream && stream.getVideoTracks()[0];
    const s = track ? track.getSettings() : {};
    const w = video.videoWidth || s.width, hgt = video.videoHeight || s.height;
    if (!w || !hgt) { say(err, 'The camera has not started yet.'); return; }
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = hgt;
    canvas.getContext('2d').drawImage(video, 0, 0, w, hgt);
    canvas.toBlob((blob) => {
      canvas.width = canvas.height = 0; // the pixels go with it
      if (blob) showShot(blob);
      else say(err, 'The frame could not be taken.');
    }, 'image/jpeg', 0.92);
  });
  retakeBtn.addEventListener('click', () => { say(status, ''); live(); });
  chooser.addEventListener('change', () => {
    if (chooser.files && chooser.files[0]) showShot(chooser.files[0]);
  });

  saveBtn.addEventListener('click', async () => {
    say(err, '');
    if (!client.value || !area.value) { say(err, 'Choose a client and an area first.'); return; }
    if (!shot) return;
    saveBtn.disabled = retakeBtn.disabled = true;
    say(status, 'Saving…');
    const form = new FormData();
    form.append('client', client.value);
    form.append('area', area.value);
    form.append('view', view.value);
    form.append('stage', stage.value);
    form.append('date', today());
    form.append('file', shot, shot.name || 'capture.jpg');
    try {
      const saved = await post('/api/v1/photos', form);
      const id = saved.photo_id;
      let text = `Saved photo ${id}`;
      if (saved.status === 'duplicate') text += ' (already in the library)';
      const ref = reference.value ? Number(reference.value) : 0;
      if (ref && ref !== id) {
        say(status, `${text} · aligning…`);
        try {
          const a = await post('/api/v1/alignments', {photo: id, reference: ref});
          text += ` · alignment score ${a.score.toFixed(2)} onto photo ${ref}`;
        } catch (x) {
          text += ` · not aligned onto photo ${ref}: ${x.message}`;
        }
      } else {
        text += ' · no reference to align onto';
      }
      live();
      say(status, text);
      loadReferences();
    } catch (x) {
      say(status, '');
      say(err, x.message);
    } finally {
      saveBtn.disabled = retakeBtn.disabled = false;
    }
  });

  // The choices: clients, areas (the library's vocabulary).
  try {
    const [cl, ar] = await Promise.all([get('/api/v1/clients'), get('/api/v1/areas')]);
    const want = query.get('client');
    client.append(h('option', {value: ''}, 'Choose a client'));
    for (const c of cl.clients) {
      const o = h('option', {value: c.client}, c.name ? `${c.client} · ${c.name}` : c.client);
      if (c.client === want) o.selected = true;
      client.append(o);
    }
    for (const a of ar.areas) area.append(h('option', {value: a}, a));
  } catch (x) {
    say(err, x.message);
  }
  loadReferences();

  stream = await startCamera();
  if (!sec.isConnected) { stopStream(); return null; }
  if (stream) {
    video.srcObject = stream;
    const s = stream.getVideoTracks()[0].getSettings();
    resolution.textContent = s.width ? `Camera: ${s.width} × ${s.height}` : '';
    video.addEventListener('loadedmetadata', () => {
      captureBtn.disabled = false;
      fitBox(video.videoWidth, video.videoHeight);
      const t = stream && stream.getVideoTracks()[0].getSettings();
      resolution.textContent = `Camera: ${video.videoWidth} × ${video.videoHeight}` +
        (t && t.frameRate ? ` at ${Math.round(t.frameRate)} fps` : '');
    });
  } else {
    noCamera.hidden = false;
    captureBtn.hidden = true;
    video.hidden = true;
  }
  live();
  if (!stream) captureBtn.hidden = true;

  function stopStream() {
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
  }
  return () => {
    stopStream();
    video.srcObject = null;
    forgetShot();
    if (ghostUrl) URL.revokeObjectURL(ghostUrl);
  };
}
