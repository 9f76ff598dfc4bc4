"""The fake camera: YUV4MPEG2 files that Chromium plays as a webcam
(--use-file-for-fake-video-capture=FILE.y4m).

make_session_videos() writes two: the sample photo as the first session sees
it, and for the second session a copy moved (shifted, scaled, rotated a few
per cent) and re-lit, so that the app's alignment onto the first photo has
real work to do."""
import numpy as np
from PIL import Image, ImageOps, ImageEnhance


def rgb_to_yuv420(img):
    """RGB PIL image (even width and height) -> the Y, U and V planes of
    8-bit 4:2:0, BT.601 limited range, which is what Chromium's y4m reader
    takes the C420 formats to be."""
    a = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
    # 4:2:0: one chroma sample per 2x2 block, the mean of the four.
    h, w = y.shape
    u = u.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    v = v.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return [np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, u, v)]


def write_y4m(path, img, frames=3, fps=30):
    """Writes FRAMES identical frames of IMG as YUV4MPEG2: a one-line text
    header (size, rate, progressive, square pixels, 4:2:0), then per frame
    the line FRAME and the Y, U and V planes one after another."""
    w, h = img.size
    planes = rgb_to_yuv420(img)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n" % (w, h, fps))
        for _ in range(frames):
            f.write(b"FRAME\n")
            for p in planes:
                f.write(p.tobytes())


def frame_of(photo, size):
    """The photo as it was taken (its EXIF orientation applied), filling
    SIZE (w, h) with the same aspect: scaled to cover, centre cropped."""
    im = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    return ImageOps.fit(im, size, method=Image.LANCZOS)


def moved_and_relit(img, shift=(0.03, -0.02), scale=1.04, angle=2.5, light=1.12):
    """The same scene a session later: the camera a little to the side,
    closer and tilted, under brighter, warmer light."""
    w, h = img.size
    big = img.resize((int(w * scale), int(h * scale)), Image.LANCZOS)
    big = big.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=(96, 90, 86))
    left = (big.width - w) // 2 + int(shift[0] * w)
    top = (big.height - h) // 2 + int(shift[1] * h)
    out = big.crop((left, top, left + w, top + h))
    out = ImageEnhance.Brightness(out).enhance(light)
    r, g, b = out.split()
    r = r.point(lambda x: min(255, int(x * 1.04)))
    return Image.merge("RGB", (r, g, b))


def make_session_videos(photo, outdir, size=(960, 1280), frames=3):
    """Writes outdir/session1.y4m and outdir/session2.y4m; returns their paths."""
    first = frame_of(photo, size)
    second = moved_and_relit(first)
    paths = []
    for n, im in ((1, first), (2, second)):
        p = "%s/session%d.y4m" % (outdir, n)
        write_y4m(p, im, frames)
        paths.append(p)
    return paths


if __name__ == "__main__":
    import sys
    for p in make_session_videos(sys.argv[1], sys.argv[2]):
        print(p)
