#!/usr/bin/python3
"""Accuracy of beforeafter's face and eye detector on faces we can ship.

Ground truth: the pupils of skimage's astronaut (public domain), annotated by
hand once on an 8x nearest-neighbour enlargement with a 10 px grid
(pixel-edge coordinates: pixel i covers [i, i+1)):
    left eye (smaller x)  (203.5, 101.5)
    right eye             (245.5, 103.5)
    inter-ocular distance 42.0 px
The same numbers are in tests/unit/test_detect.c.

Generated faces: the astronaut scaled (0.5-5x), rotated (+-15 deg), mirrored,
cropped, darker/brighter/low-contrast/warm-cast, noisy and JPEG-recompressed,
each with its ground truth carried through the same transform; plus negatives
(skimage images without a human face, flat grey, noise).

Every image goes through our own binary: `beforeafter --json detect FILE`;
other cascade combinations through the test hook BA_TEST_CASCADES=FACE:EYE
(test builds only). An eye is matched when a detected centre lies within
0.25 IOD of it; unmatched true eyes are misses, unmatched detected eyes false
eyes. Errors are of matched eyes.

    bench/detect_accuracy.py --ba build/beforeafter [--work DIR] [--combos all|chosen]
"""
import argparse
import json
import math
import os
import subprocess
import sys

import cv2
import numpy as np

SK = "/usr/lib/python3/dist-packages/skimage/data/"
ASTRONAUT = SK + "astronaut.png"
EYES = np.array([[203.5, 101.5], [245.5, 103.5]])
IOD = float(np.hypot(*(EYES[1] - EYES[0])))
MATCH = 0.25  # of the IOD

FACES = ["haarcascade_frontalface_alt2.xml", "haarcascade_frontalface_default.xml",
         "haarcascade_frontalface_alt.xml"]
EYE_CASCADES = ["haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml"]
CHOSEN = ("haarcascade_frontalface_alt2.xml", "haarcascade_eye.xml")


def affine(img, m, size, border=cv2.BORDER_REPLICATE):
    return cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR, borderMode=border)


def apply_m(m, pts):
    p = np.hstack([pts, np.ones((len(pts), 1))])
    return (m @ p.T).T


def variants(src):
    """(group, name, image (BGR uint8), eyes (2x2) or None, jpeg quality or None)."""
    h, w = src.shape[:2]
    out = [("original", "astronaut", src, EYES, None)]
    for s in (0.5, 0.75, 1.5, 2.0, 5.0):
        m = np.array([[s, 0, 0], [0, s, 0]], float)
        size = (int(round(w * s)), int(round(h * s)))
        # pixel-edge coordinates scale exactly with cv2.resize's geometry
        img = cv2.resize(src, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        out.append(("scale", f"scale {s:g}x", img, apply_m(m, EYES), None))
    for a in (-15, -10, -5, 5, 10, 15):
        # rotate about the face (eyes' midpoint), positive = counter-clockwise
        c = EYES.mean(axis=0) - 0.5  # cv2 works in pixel-centre coordinates
        m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), a, 1.0)
        img = affine(src, m, (w, h))
        gt = apply_m(m, EYES - 0.5) + 0.5
        out.append(("rotation", f"rotate {a:+d} deg", img, gt, None))
    flip = cv2.flip(src, 1)
    out.append(("rotation", "mirrored", flip, np.array([[w - EYES[1][0], EYES[1][1]],
                                                         [w - EYES[0][0], EYES[0][1]]]), None))
    for name, (x, y, cw, ch) in {"crop face 200x200": (124, 30, 200, 200),
                                 "crop head 300x360": (80, 0, 300, 360),
                                 "crop portrait 300x512": (70, 0, 300, 512),
                                 "crop off-centre 256x256": (150, 40, 256, 256),
                                 "crop tight 140x150": (155, 40, 140, 150)}.items():
        img = src[y:y + ch, x:x + cw].copy()
        out.append(("crop", name, img, EYES - [x, y], None))
    f = src.astype(np.float32)
    light = {
        "darker x0.5": f * 0.5,
        "much darker x0.3": f * 0.3,
        "brighter x1.4": f * 1.4,
        "low contrast": 128 + (f - 128) * 0.5,
        "gamma 2.2 (dark mid-tones)": 255 * (f / 255) ** 2.2,
        "warm cast (b x0.85, r x1.1)": f * np.array([0.85, 1.0, 1.1]),
        "cool cast (b x1.1, r x0.85)": f * np.array([1.1, 1.0, 0.85]),
    }
    for name, g in light.items():
        out.append(("light", name, np.clip(g, 0, 255).astype(np.uint8), EYES, None))
    rng = np.random.default_rng(13)
    noisy = np.clip(f + rng.normal(0, 12, f.shape), 0, 255).astype(np.uint8)
    out.append(("light", "noise sigma 12", noisy, EYES, None))
    for q in (20, 40, 70):
        out.append(("jpeg", f"JPEG Q{q}", src, EYES, q))
    # combinations a second session brings
    s, a = 1.6, 8
    c = EYES.mean(axis=0) - 0.5
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), a, s)
    img = affine(src, m, (int(w * 1.6), int(h * 1.6)))
    img = np.clip(img.astype(np.float32) * [0.9, 1.0, 1.08] * 0.8, 0, 255).astype(np.uint8)
    out.append(("combined", "1.6x, +8 deg, warm, darker, Q60", img,
                apply_m(m, EYES - 0.5) + 0.5, 60))
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), -12, 0.7)
    img = affine(src, m, (w, h))
    out.append(("combined", "0.7x, -12 deg, Q40", img, apply_m(m, EYES - 0.5) + 0.5, 40))
    # negatives: no human face
    for n in ("coffee.png", "chelsea.png", "coins.png", "horse.png", "rocket.jpg",
              "hubble_deep_field.jpg", "brick.png", "grass.png", "moon.png", "page.png"):
        img = cv2.imread(SK + n, cv2.IMREAD_COLOR)
        if img is not None:
            out.append(("negative", n, img, None, None))
    out.append(("negative", "flat grey", np.full((480, 640, 3), 128, np.uint8), None, None))
    out.append(("negative", "noise", rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), None,
                None))
    return out


def write(work, i, img, q):
    if q:
        path = os.path.join(work, f"v{i:02d}.jpg")
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, q])
    else:
        path = os.path.join(work, f"v{i:02d}.png")
        cv2.imwrite(path, img)
    return path


def detect(ba, path, combo):
    env = dict(os.environ)
    env["BA_TEST_CASCADES"] = f"{combo[0]}:{combo[1]}"
    r = subprocess.run([ba, "--json", "detect", path], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"detect {path} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def score(det, gt, scale_iod):
    """errors (px list), errors/IOD list, misses, false eyes, face found."""
    found = [np.array([e["x"], e["y"]]) for e in det["eyes"]]
    face = det["face"] is not None
    if gt is None:
        return [], [], 0, len(found), face
    iod = float(np.hypot(*(gt[1] - gt[0])))
    errs, used = [], set()
    for t in gt:
        best, bj = None, None
        for j, p in enumerate(found):
            d = float(np.hypot(*(p - t)))
            if j not in used and d <= MATCH * iod and (best is None or d < best):
                best, bj = d, j
        if bj is not None:
            used.add(bj)
            errs.append(best)
    misses = 2 - len(errs)
    false = len(found) - len(used)
    return errs, [e / iod for e in errs], misses, false, face


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ba", required=True)
    ap.add_argument("--work", default="bench/.work/detect")
    ap.add_argument("--combos", choices=["all", "chosen"], default="all")
    ap.add_argument("--details", action="store_true", help="one line per image and combination")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    src = cv2.imread(ASTRONAUT, cv2.IMREAD_COLOR)
    if src is None:
        sys.exit(f"{ASTRONAUT}: missing (python3-skimage)")
    vs = variants(src)
    paths = [write(args.work, i, img, q) for i, (_, _, img, _, q) in enumerate(vs)]
    combos = [CHOSEN] if args.combos == "chosen" else [(f, e) for f in FACES for e in EYE_CASCADES]
    summary = []
    per_variant = {}
    for combo in combos:
        tot = {"errs": [], "rel": [], "miss": 0, "false": 0, "faces": 0, "pos": 0,
               "neg_faces": 0, "neg": 0}
        for (group, name, _, gt, _), path in zip(vs, paths):
            det = detect(args.ba, path, combo)
            errs, rel, miss, false, face = score(det, gt, IOD)
            if gt is None:
                tot["neg"] += 1
                tot["neg_faces"] += face
            else:
                tot["pos"] += 1
                tot["faces"] += face
            tot["errs"] += errs
            tot["rel"] += rel
            tot["miss"] += miss
            tot["false"] += false
            per_variant.setdefault(name, {})[combo] = (group, errs, rel, miss, false, face)
            if args.details:
                print(f"{combo[0][20:-4]:>9} {combo[1][11:-4]:>20} {name:34} face={face:d} "
                      f"eyes={len(det['eyes'])} err={['%.1f' % e for e in errs]} miss={miss} "
                      f"false={false}")
        summary.append((combo, tot))

    def fmt(errs):
        return f"{np.mean(errs):.2f}" if errs else "-"

    print("\n### Per combination (all generated images)\n")
    print("| face cascade | eye cascade | faces found | mean eye error px | 95th pct px | "
          "mean / IOD | max / IOD | missed eyes | false eyes | faces on negatives |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (f, e), t in summary:
        p95 = f"{np.percentile(t['errs'], 95):.2f}" if t["errs"] else "-"
        mx = f"{max(t['rel']):.3f}" if t["rel"] else "-"
        mrel = f"{np.mean(t['rel']):.3f}" if t["rel"] else "-"
        print(f"| {f[12:-4]} | {e[12:-4]} | {t['faces']}/{t['pos']} | {fmt(t['errs'])} | {p95} | "
              f"{mrel} | {mx} | {t['miss']}/{2 * t['pos']} | {t['false']} | "
              f"{t['neg_faces']}/{t['neg']} |")
    best = CHOSEN if CHOSEN in combos else combos[0]
    print(f"\n### Per image, {best[0][12:-4]} + {best[1][12:-4]}\n")
    print("| group | image | face | eye error px | / IOD | missed | false |")
    print("|---|---|---|---|---|---|---|")
    for name, by in per_variant.items():
        group, errs, rel, miss, false, face = by[best]
        print(f"| {group} | {name} | {'yes' if face else 'no'} | "
              f"{', '.join('%.1f' % e for e in errs) or '-'} | "
              f"{', '.join('%.3f' % r for r in rel) or '-'} | {miss} | {false} |")
    groups = {}
    for name, by in per_variant.items():
        group, errs, rel, miss, false, face = by[best]
        g = groups.setdefault(group, {"n": 0, "errs": [], "rel": [], "miss": 0, "false": 0})
        g["n"] += 1
        g["errs"] += errs
        g["rel"] += rel
        g["miss"] += miss
        g["false"] += false
    print(f"\n### Per group, {best[0][12:-4]} + {best[1][12:-4]}\n")
    print("| group | images | mean eye error px | max px | mean / IOD | missed eyes | false eyes |")
    print("|---|---|---|---|---|---|---|")
    for group, g in groups.items():
        print(f"| {group} | {g['n']} | {fmt(g['errs'])} | "
              f"{'%.1f' % max(g['errs']) if g['errs'] else '-'} | {fmt(g['rel'])} | "
              f"{g['miss']} | {g['false']} |")


if __name__ == "__main__":
    main()
