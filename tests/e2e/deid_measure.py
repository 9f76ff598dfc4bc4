#!/usr/bin/python3
"""Measure a de-identified export on its pixels (tests/e2e/test_deid.sh).

    deid_measure.py MODE OUT PLAIN MANIFEST EX1 EY1 EX2 EY2

OUT is the de-identified image, PLAIN the same comparison exported without
de-identification (same geometry: side by side, no labels, no gutter), the
eyes (EX1, EY1), (EX2, EY2) in reference master px, known to the test
independently of the export.  The panels are located from the image width
(n equal panels side by side) and the crop the manifest states.  Prints one
line of numbers; exits 1 with the reason when the mode does not hold:

  eyes            every pixel within 0.25 d x 0.15 d of each eye centre is
                  bar-black (<= 24 in every channel) in every panel
  half-letterbox  every pixel within 0.1 d of each pupil is bar-black
  blur-face       around each eye and over the face, the variance of the
                  Laplacian is below 10 % of PLAIN's there, which is > 20
  blur-outside    the same around each eye, while the treatment area (the
                  manifest's region) is unchanged from PLAIN (PSNR > 40 dB)
  crop-to-area    no eye centre lies in what a panel shows (the crop), and
                  the panels are smaller than PLAIN's
"""
import json
import math
import sys

import numpy as np
from PIL import Image


def load(path):
    return np.asarray(Image.open(path).convert('RGB')).astype(np.float64)


def laplacian_var(img, box):
    x0, y0, x1, y1 = box
    g = img[y0:y1, x0:x1] @ np.array([0.299, 0.587, 0.114])
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def main():
    mode, out_p, plain_p, man_p = sys.argv[1:5]
    ex1, ey1, ex2, ey2 = map(float, sys.argv[5:9])
    out, plain = load(out_p), load(plain_p)
    img = json.load(open(man_p))['images'][0]
    cx, cy, cw, ch = (img['crop'][k] for k in ('x', 'y', 'width', 'height'))
    n = len(img['panels'])
    pw = out.shape[1] // n
    k = pw / cw
    d = math.hypot(ex2 - ex1, ey2 - ey1) * k
    eyes = [(ex1, ey1), (ex2, ey2)]

    def at(p, x, y):
        return p * pw + (x - cx) * k, (y - cy) * k

    def box(x, y, hx, hy):
        return (max(0, int(math.floor(x - hx))), max(0, int(math.floor(y - hy))),
                int(math.ceil(x + hx)) + 1, int(math.ceil(y + hy)) + 1)

    report = []
    if mode in ('eyes', 'half-letterbox'):
        hx, hy = (0.1 * d, 0.1 * d) if mode == 'half-letterbox' else (0.25 * d, 0.15 * d)
        for p in range(n):
            for e, (x, y) in enumerate(eyes):
                ox, oy = at(p, x, y)
                x0, y0, x1, y1 = box(ox, oy, hx, hy)
                patch = out[y0:y1, x0:x1]
                black = (patch <= 24).all(axis=2).mean()
                was = (plain[y0:y1, x0:x1] <= 24).all(axis=2).mean()
                report.append('panel %d eye %d: %.0f%% black (plain %.0f%%)' % (p + 1, e + 1, 100 * black, 100 * was))
                if black < 1.0 or was > 0.5:
                    sys.exit('%s: panel %d eye %d at (%.0f,%.0f): %.1f%% bar pixels (plain %.1f%%)'
                             % (mode, p + 1, e + 1, ox, oy, 100 * black, 100 * was))
    elif mode in ('blur-face', 'blur-outside'):
        for p in range(n):
            boxes = [('eye %d' % (e + 1), box(*at(p, x, y), 0.25 * d, 0.15 * d))
                     for e, (x, y) in enumerate(eyes)]
            if mode == 'blur-face':
                mx, my = at(p, (ex1 + ex2) / 2, (ey1 + ey2) / 2)
                boxes.append(('face', box(mx, my + 0.3 * d, 0.9 * d, 1.2 * d)))
            for name, b in boxes:
                vo, vp = laplacian_var(out, b), laplacian_var(plain, b)
                report.append('panel %d %s: var %.1f vs %.1f' % (p + 1, name, vo, vp))
                if vp < 20 or vo > 0.1 * vp:
                    sys.exit('%s: panel %d %s: Laplacian variance %.1f, plain %.1f' % (mode, p + 1, name, vo, vp))
        if mode == 'blur-outside':
            r = img['deidentification']['region']
            for p in range(n):
                x0, y0 = at(p, r['x'], r['y'])
                x1, y1 = at(p, r['x'] + r['width'], r['y'] + r['height'])
                b = (int(x0) + 2, int(y0) + 2, int(x1) - 2, int(y1) - 2)
                mse = ((out[b[1]:b[3], b[0]:b[2]] - plain[b[1]:b[3], b[0]:b[2]]) ** 2).mean()
                psnr = float('inf') if mse == 0 else 10 * math.log10(255 ** 2 / mse)
                report.append('panel %d area PSNR %.1f dB' % (p + 1, psnr))
                if psnr < 40:
                    sys.exit('blur-outside: panel %d treatment area changed (PSNR %.1f dB)' % (p + 1, psnr))
    elif mode == 'crop-to-area':
        for x, y in eyes:
            if cx <= x < cx + cw and cy - 0.15 * d / k <= y < cy + ch + 0.15 * d / k:
                sys.exit('crop-to-area: eye (%.0f,%.0f) inside the crop %s' % (x, y, img['crop']))
        if out.shape[0] * out.shape[1] >= plain.shape[0] * plain.shape[1]:
            sys.exit('crop-to-area: the panels are not cropped (%s vs %s)' % (out.shape, plain.shape))
        report.append('crop %.0f,%.0f %.0fx%.0f, eyes outside; %dx%d px' % (cx, cy, cw, ch, out.shape[1], out.shape[0]))
    else:
        sys.exit('unknown mode ' + mode)
    print('; '.join(report))


main()
