#!/usr/bin/env python3
"""The web app's benchmark (issue 15), run by bench/web.sh:

  web_bench.py BA WORKDIR SAMPLES PHOTOS CLIENTS PAGE WIDTHxHEIGHT RUNS

a) A library of PHOTOS photos over CLIENTS clients (client C-001 holds PAGE
   of them, the rest spread evenly), made from the sample face: distinct
   12 MP-ish JPEGs (a handful of base crops/exposures, each copy carrying a
   small mark of its own so that no two are the same photo).  In headless
   Chromium, signed in as a provider: the time from navigating to C-001's
   page to every thumbnail on it decoded (performance.now() at the moment
   the last <img>.decode() resolved, measured from the navigation's time
   origin), on the first visit after the batch ingest (a fresh browser; the
   thumbnails were made by the ingest, a missing one is made on request)
   and then warm, RUNS times each.
b) The capture round trip for a 12 MP frame: the fake camera plays the
   sample moved and re-lit at WIDTHxHEIGHT; a client holding the unmoved
   sample as its reference; in the capture screen, from the click on
   "Save photo" to the role=status naming the saved photo and its alignment
   score (upload, ingest, align), RUNS times (a fresh client each).
Prints the figures; never fails because a target is missed."""
import multiprocessing
import os
import shutil
import subprocess
import sys
import time

from PIL import Image, ImageDraw, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "web"))
import fakecam  # noqa: E402
import harness  # noqa: E402
from harness import Browser, Library, Server  # noqa: E402

BA, WORK, SAMPLES = sys.argv[1:4]
PHOTOS, CLIENTS, PAGE = (int(x) for x in sys.argv[4:7])
CAP_W, CAP_H = (int(x) for x in sys.argv[7].split("x"))
RUNS = int(sys.argv[8])
GEN_VERSION = 1
PASS = "bench web passphrase"
AREAS = ("cheeks", "forehead", "neck", "lips")
STAGES = ("before", "progress", "after")


def log(msg):
    print(msg, flush=True)


def inputs(n, size):
    """N distinct JPEGs of SIZE (portrait w, h), cached in WORK/inputs-*."""
    d = os.path.join(WORK, "inputs-v%d-%dx%d" % (GEN_VERSION, size[0], size[1]))
    os.makedirs(d, exist_ok=True)
    paths = [os.path.join(d, "in-%03d.jpg" % i) for i in range(1, n + 1)]
    missing = [p for p in paths if not os.path.exists(p)]
    if not missing:
        return paths
    src = ImageOps.exif_transpose(Image.open(os.path.join(SAMPLES, "before-cheeks.jpg")))
    src = src.convert("RGB")
    bases = []
    for k in range(8):   # eight sittings: framing and exposure differ
        w, h = src.size
        dx, dy = 6 * (k % 4), 5 * (k // 4)
        im = src.crop((dx, dy, w - 30 + dx, h - 20 + dy)).resize(size, Image.BICUBIC)
        g = 0.9 + 0.03 * k
        bases.append(im.point(lambda x, g=g: min(255, int(x * g))))
    t0 = time.monotonic()
    global BASES
    BASES = bases
    with multiprocessing.Pool(os.cpu_count() or 2) as pool:
        pool.map(one_input, missing, chunksize=4)
    log("  generated %d inputs %dx%d in %.0f s (cached in %s)" %
        (len(missing), size[0], size[1], time.monotonic() - t0, d))
    return paths


def one_input(p):
    """One input: a base sitting with a 24 px mark of its own colour at its
    own place, so that no two inputs are the same photo."""
    i = int(os.path.basename(p)[3:6])
    im = BASES[i % len(BASES)].copy()
    x, y = 40 + (i * 37) % (im.width - 80), 40 + (i * 53) % (im.height - 80)
    ImageDraw.Draw(im).rectangle((x, y, x + 24, y + 24),
                                 fill=((i * 7) % 256, (i * 13) % 256, (i * 29) % 256))
    im.save(p + ".tmp", "JPEG", quality=85)
    os.replace(p + ".tmp", p)


def build_library(lib, files):
    """C-001 .. C-CLIENTS; C-001 gets PAGE photos, the others the rest."""
    lib.run("init")
    lib.add_user("bench", "provider", PASS)
    codes = ["C-%03d" % c for c in range(1, CLIENTS + 1)]
    owner = [codes[0]] * PAGE
    rest = len(files) - PAGE
    owner += [codes[1 + i % (CLIENTS - 1)] for i in range(rest)]
    man = os.path.join(WORK, "run", "manifest.csv")
    with open(man, "w") as f:
        f.write("file,client,area,stage,date\n")
        seen = {}
        for path, code in zip(files, owner):
            n = seen.get(code, 0)
            seen[code] = n + 1
            # sessions of 4 photos a month apart, one area per session
            s = n // 4
            f.write("%s,%s,%s,%s,2025-%02d-%02d\n" % (path, code, AREAS[s % len(AREAS)],
                                                      STAGES[min(s, 2)], 1 + s % 12,
                                                      1 + s // 12))
    for c in codes:
        lib.run("client", "add", c)
    t0 = time.monotonic()
    lib.run("-q", "batch", "ingest", man, "--jobs", "2")
    log("  batch ingest of %d photos: %.0f s" % (len(files), time.monotonic() - t0))


def page_time(b, code):
    """Navigate to CODE's page (a fresh document); ms from the navigation
    to every thumbnail decoded, and how many."""
    b.d.get("about:blank")
    b.d.get(b.server.url + "#/clients/" + code)
    return b.d.execute_async_script(
        "const [want, done] = arguments;"
        "const imgs = () => [...document.images].filter(i => i.src.includes('/api/v1/photos/'));"
        "const tick = () => { const im = imgs();"
        "  if (im.length < want) return setTimeout(tick, 5);"
        "  Promise.all(im.map(i => i.decode())).then(() => done([performance.now(), im.length]),"
        "    e => done([-1, String(e)])); };"
        "tick();", PAGE)


def capture_time(b, code):
    """The capture screen for CODE: ms from the click on Save photo to the
    status naming the photo and its alignment score."""
    b.d.get("about:blank")      # a fresh document: nothing left of the last run
    b.go("#/capture")
    b.pick("Client", code)
    b.pick("Area", "cheeks")
    b.pick("View", "frontal")
    b.pick("Stage", "after")
    size = b.wait(lambda: b.d.execute_script(
        "const v = document.querySelector('video'); return v && v.videoWidth ?"
        " [v.videoWidth, v.videoHeight] : null"), "the fake camera")
    b.click("button", "Capture")
    save = b.find("button", "Save photo")
    r = b.d.execute_async_script(
        "const [btn, done] = arguments; const t0 = performance.now();"
        "const seen = () => [...document.querySelectorAll('[role=status]')]"
        "  .map(e => e.textContent).find(t => /Saved photo \\d+/.test(t) && /score/i.test(t));"
        "const obs = new MutationObserver(() => { const t = seen();"
        "  if (t) { obs.disconnect(); done([performance.now() - t0, t]); } });"
        "obs.observe(document.body, {subtree: true, childList: true, characterData: true});"
        "setTimeout(() => { obs.disconnect(); done([-1, [...document.querySelectorAll("
        "  '[role=status], [role=alert]')].map(e => e.textContent).join(' | ')]); }, 90000);"
        "btn.click();", save)
    return r[0], r[1], size


def browser(srv, video, run, n):
    """Headless Chromium with VIDEO as its camera, signed in as the provider."""
    b = Browser(srv, video, run, os.path.join(run, "chrome%d" % n))
    b.go("")
    b.type("textbox", "Username", "bench")
    b.type("password", "Password", PASS)
    b.click("button", "Log in")
    b.find("button", "Log out")
    return b


def main():
    os.makedirs(os.path.join(WORK, "run"), exist_ok=True)
    run = os.path.join(WORK, "run")
    harness.WAIT = 120
    files = inputs(PHOTOS, (3000, 4000))
    lib = Library(BA, os.path.join(run, "lib"))
    build_library(lib, files)
    # The capture clients: the sample, unmoved, as their reference photo.
    ref = fakecam.frame_of(os.path.join(SAMPLES, "before-cheeks.jpg"), (CAP_W, CAP_H))
    for r in range(RUNS):
        code = "C-CAP%d" % (r + 1)
        lib.run("client", "add", code)
        # each client's own reference: a 4 px mark in a corner keeps them distinct photos
        mine = ref.copy()
        ImageDraw.Draw(mine).rectangle((4 + 6 * r, 4, 8 + 6 * r, 8), fill=(255, 255, 255))
        refp = os.path.join(run, "reference-%d.jpg" % (r + 1))
        mine.save(refp, "JPEG", quality=92)
        lib.run("-q", "ingest", "--client", code, "--area", "cheeks", "--stage", "before",
                "--date", "2025-01-10", refp)
    # One camera per capture run, each frame its own (a 40 px mark in a corner;
    # 4 px was not enough): the same frame twice is refused as a duplicate.
    moved = fakecam.moved_and_relit(ref)
    videos = []
    for r in range(RUNS):
        im = moved.copy()
        ImageDraw.Draw(im).rectangle((CAP_W - 60 - 50 * r, 8, CAP_W - 20 - 50 * r, 48),
                                     fill=(40 * r, 200 - 60 * r, 90))
        videos.append(os.path.join(run, "capture-%d.y4m" % (r + 1)))
        fakecam.write_y4m(videos[-1], im, frames=2)
    srv = Server(lib, int(os.environ.get("BENCH_WEB_PORT", "18446")), run)
    b = browser(srv, videos[0], run, 0)

    log("a) C-001's page, %d thumbnails (of %d photos, %d clients), navigation -> all decoded:"
        % (PAGE, PHOTOS, CLIENTS))
    kept = sum(len(fs) for _, _, fs in os.walk(os.path.join(lib.path, "previews", "320")))
    cold = page_time(b, "C-001")
    log("  first visit (%d thumbnails made at ingest): %.0f ms (%s images)" %
        ((kept,) + tuple(cold)))
    warm = []
    for _ in range(RUNS):
        warm.append(page_time(b, "C-001"))
    w = sorted(x[0] for x in warm)
    log("  warm, %d runs: median %.0f ms, min %.0f, max %.0f  (target < 1000 ms)" %
        (RUNS, w[len(w) // 2], w[0], w[-1]))

    log("b) capture -> saved -> aligned, %dx%d frame (fake camera):" % (CAP_W, CAP_H))
    times = []
    for r in range(RUNS):
        if r:
            b.stop()
            b = browser(srv, videos[r], run, r)
        ms, text, size = capture_time(b, "C-CAP%d" % (r + 1))
        if ms < 0:
            log("  run %d: no 'Saved photo N ... score' within 90 s; the page said %r" %
                (r + 1, text))
            continue
        times.append(ms)
        log("  run %d: %.0f ms  camera %dx%d  status %r" % (r + 1, ms, size[0], size[1], text))
    t = sorted(times)
    if t:
        log("  median %.0f ms of %d runs  (target < 3000 ms)" % (t[len(t) // 2], len(t)))
    b.stop()
    srv.stop()
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(os.path.join(run, "lib"), ignore_errors=True)


if __name__ == "__main__":
    main()
