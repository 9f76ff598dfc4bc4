"""A small harness for the browser tests of the web app (issue 15):
a `beforeafter serve` on 127.0.0.1 with a fresh library and its own
self-signed certificate, accounts made with the CLI, and headless Chromium
through Selenium with the fake camera.  Whatever it starts, it stops, also
when a check fails (atexit).  Elements are found the way a person with a
screen reader finds them: by role and accessible name, never by CSS class."""
import atexit
import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = float(os.environ.get("BA_WEB_WAIT", "30"))   # seconds; a ceiling, never a measure
_STARTED = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)


# A SIGTERM (a timeout, a kill of the test) must stop them too: exit
# through atexit rather than die with the server and Chromium left running.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@atexit.register
def _stop_everything():
    for thing in reversed(_STARTED):
        try:
            thing.stop()
        except Exception as e:  # keep stopping the rest
            print("# stopping %r: %s" % (thing, e))


class Library:
    """A fresh library and the CLI run on it."""

    def __init__(self, ba, path):
        self.ba, self.path = ba, path

    def run(self, *args, stdin=None, rc=0):
        p = subprocess.run([self.ba, "--library", self.path] + list(args), input=stdin,
                           capture_output=True, text=True)
        if rc is not None and p.returncode != rc:
            fail("beforeafter %s: exit %d, want %d: %s" % (" ".join(args), p.returncode, rc,
                                                           p.stderr.strip()))
        return p

    def json(self, *args):
        """The --json answer: a list of the objects it printed, one a line."""
        return [json.loads(line) for line in self.run("--json", *args).stdout.splitlines()
                if line.strip()]

    def add_user(self, name, role, password):
        self.run("user", "add", name, "--role", role, "--password-stdin", stdin=password + "\n")


class Server:
    """`beforeafter serve` on 127.0.0.1:PORT over HTTPS with the library's
    self-signed certificate; .spki is the base64 SHA-256 of its public key,
    what Chromium's --ignore-certificate-errors-spki-list trusts (this one
    key only, not every bad certificate)."""

    def __init__(self, lib, port, logdir, *extra):
        self.lib, self.port = lib, port
        self.logname = os.path.join(logdir, "serve-%d.log" % port)
        self.log = open(self.logname, "w+")
        self.proc = subprocess.Popen(
            [lib.ba, "--library", lib.path, "serve", "--listen", "127.0.0.1:%d" % port] +
            list(extra), stdout=self.log, stderr=subprocess.STDOUT)
        _STARTED.append(self)
        deadline = time.monotonic() + WAIT
        while "listening on" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                fail("serve did not start on port %d: %s" % (port, self.text()))
            time.sleep(0.05)
        self.url = "https://127.0.0.1:%d/" % port
        cert = os.path.join(lib.path, "server", "tls-cert.pem")
        pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                             capture_output=True, check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                             capture_output=True, check=True).stdout
        self.spki = base64.b64encode(hashlib.sha256(der).digest()).decode()

    def text(self):
        with open(self.logname) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("serve did not stop within 20 s of SIGTERM")
        return self.proc.returncode

    def __repr__(self):
        return "serve on %d" % self.port


# role -> the elements that can carry it (tags and ARIA roles, never classes)
CANDIDATES = {
    "button": "button, input[type=button], input[type=submit], [role=button]",
    "link": "a[href], [role=link]",
    "textbox": "input:not([type]), input[type=text], input[type=email], input[type=tel], "
               "input[type=url], textarea, [role=textbox]",
    "password": "input[type=password]",
    "searchbox": "input[type=search], [role=searchbox]",
    "combobox": "select, [role=combobox], input[list]",
    "slider": "input[type=range], [role=slider]",
    "checkbox": "input[type=checkbox], [role=checkbox]",
    "date": "input[type=date]",
    "file": "input[type=file]",
    "heading": "h1, h2, h3, h4, h5, h6, [role=heading]",
    "img": "img, [role=img]",
    "status": "[role=status], output",
    "alert": "[role=alert]",
}
# the computed role each must have (None: any; WebDriver's computed role of
# a password or file input differs between Chromium versions)
ROLES = {"password": None, "file": None, "date": None, "status": "status", "alert": "alert",
         "textbox": "textbox", "searchbox": "searchbox", "combobox": "combobox",
         "slider": "slider", "checkbox": "checkbox", "button": "button", "link": "link",
         "heading": "heading", "img": "img"}

# ARIA 1.3 names the role of <img> "image"; newer Chromium answers that
ALIASES = {"img": "image"}


class Browser:
    """Headless Chromium with the fake camera playing VIDEO, trusting only
    the server's key; console messages kept for no_console_errors()."""

    def __init__(self, server, video, artifacts, user_data):
        self.server, self.artifacts = server, artifacts
        o = webdriver.ChromeOptions()
        o.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--disable-gpu", "--no-first-run", "--disable-extensions",
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--use-file-for-fake-video-capture=" + video,
                  "--ignore-certificate-errors-spki-list=" + server.spki,
                  "--user-data-dir=" + user_data, "--window-size=1024,768",
                  "--password-store=basic", "--disable-features=Translate,MediaRouter"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        o.set_capability("acceptInsecureCerts", False)
        o.add_experimental_option("prefs", {"credentials_enable_service": False,
                                            "profile.password_manager_enabled": False})
        svc = Service(executable_path="/usr/bin/chromedriver",
                      log_path=os.path.join(artifacts, "chromedriver.log"))
        self.d = webdriver.Chrome(options=o, service=svc)
        _STARTED.append(self)
        self.d.set_script_timeout(WAIT)
        self.console = []     # (screen, entry) of every message seen
        self.allowed = []     # (regex) messages a step provoked on purpose
        self.layout = []      # what overflowed the viewport in a screenshot
        self.viewport(1024, 768)

    def stop(self):
        d, self.d = getattr(self, "d", None), None
        if d is not None:
            d.quit()

    def __repr__(self):
        return "chromium"

    # -- sizes and screenshots
    def viewport(self, w, h):
        """The CSS viewport exactly W x H (a tablet, a phone), not the window."""
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": w, "height": h, "deviceScaleFactor": 1,
                                "mobile": w < 600})

    def shoot(self, screen):
        """Screenshots of the current screen at 1024x768 and 390x844, and at
        each size the layout checked: nothing wider than the screen."""
        for w, h in ((1024, 768), (390, 844)):
            self.viewport(w, h)
            time.sleep(0.3)  # a relayout
            self.d.save_screenshot(os.path.join(self.artifacts, "%s-%dx%d.png" % (screen, w, h)))
            for p in self.overflow(w):
                self.layout.append("%s at %dx%d: %s" % (screen, w, h, p))
        self.viewport(1024, 768)
        self.collect(screen)

    def overflow(self, width):
        """What sticks out of a viewport WIDTH px wide sideways: the page
        scrolling horizontally, or a control, heading, cell or photo beyond the
        left or right edge that no scrolling box of its own (a table's) holds.
        (A mobile viewport widens to fit what overflows, so WIDTH, not
        innerWidth, is the phone's width.)"""
        return self.d.execute_script(
            "const W = arguments[0], out = [];"
            "const sw = document.documentElement.scrollWidth;"
            "if (sw > W) out.push('the page is ' + sw + ' px wide (viewport ' + W + ')');"
            "const held = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {"
            "  const o = getComputedStyle(p).overflowX;"
            "  if (o === 'auto' || o === 'scroll') return true; } return false; };"
            "for (const el of document.querySelectorAll('a, button, input, select, textarea,"
            "    [role], [tabindex], h1, h2, h3, p, td, th, img, video, figure')) {"
            "  if (el.classList.contains('skip')) continue;"
            "  const r = el.getBoundingClientRect();"
            "  if (!r.width || !r.height) continue;"
            "  if ((r.left < -1 || r.right > W + 1) && !held(el)) {"
            "    const t = (el.getAttribute('aria-label') || el.textContent || el.src || '')"
            "      .trim().slice(0, 30);"
            "    out.push(el.tagName.toLowerCase() + ' ' + JSON.stringify(t) + ' spans x ' +"
            "      Math.round(r.left) + '..' + Math.round(r.right)); }"
            "  if (out.length >= 5) break; }"
            "return out;", width)

    # -- navigation and waiting
    def go(self, route=""):
        self.d.get(self.server.url + route)

    def wait(self, cond, what, timeout=None):
        try:
            return WebDriverWait(self.d, timeout or WAIT, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda d: cond())
        except TimeoutException:
            self.dump("timeout")
            fail("waited %d s for %s" % (timeout or WAIT, what))

    def dump(self, why):
        try:
            self.d.save_screenshot(os.path.join(self.artifacts, "FAILED-%s.png" % why))
            with open(os.path.join(self.artifacts, "FAILED-%s.html" % why), "w") as f:
                f.write(self.d.page_source)
        except WebDriverException:
            pass

    # -- finding by role and accessible name
    def all(self, role, name=None, exact=True):
        out = []
        for e in self.d.find_elements(By.CSS_SELECTOR, CANDIDATES[role]):
            try:
                if not e.is_displayed() and role != "file":
                    continue
                want = ROLES.get(role)
                if want and e.aria_role not in (want, ALIASES.get(want)):
                    continue
                if name is not None:
                    n = (e.accessible_name or "").strip()
                    if (n != name) if exact else (name not in n):
                        continue
                out.append(e)
            except StaleElementReferenceException:
                continue
        return out

    def find(self, role, name=None, exact=True, what=None):
        """The one visible element with ROLE and accessible NAME, waited for."""
        found = self.wait(lambda: self.all(role, name, exact),
                          what or "%s %r" % (role, name))
        return found[0]

    def has(self, role, name=None, exact=True):
        return bool(self.all(role, name, exact))

    def click(self, role, name, exact=True):
        e = self.find(role, name, exact)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
        e.click()
        return e

    def type(self, role, name, text, clear=True):
        e = self.find(role, name)
        if clear:
            e.clear()
        e.send_keys(text)
        return e

    def pick(self, name, want):
        """Selects in the combobox NAME (a <select>) the option whose value or
        text is WANT, or whose text starts with WANT and a space ("C-1 Ada")."""
        from selenium.webdriver.support.ui import Select
        e = self.find("combobox", name)

        def match():
            for o in Select(e).options:
                t, v = o.text.strip(), o.get_attribute("value")
                if want in (t, v) or t.startswith(want + " ") or t.lower() == want.lower():
                    return o
            return None
        o = self.wait(match, "option %r in combobox %r" % (want, name))
        Select(e).select_by_value(o.get_attribute("value"))
        return e

    def text(self):
        return self.d.execute_script("return document.body ? document.body.innerText : ''")

    def alert_present(self):
        try:
            self.d.switch_to.alert.dismiss()
            return True
        except NoAlertPresentException:
            return False

    def fetch(self, path, method="GET", headers=None, body=None, binary=False):
        """fetch() from the page itself (its cookie, its origin): status and
        body (base64-decoded bytes when BINARY)."""
        r = self.d.execute_async_script(
            "const [p, m, h, b, bin, done] = arguments;"
            "fetch(p, {method: m, headers: h, body: b, credentials: 'same-origin'})"
            ".then(async r => { if (bin) { const a = new Uint8Array(await r.arrayBuffer());"
            "  let s = ''; for (let i = 0; i < a.length; i += 32768)"
            "    s += String.fromCharCode.apply(null, a.subarray(i, i + 32768));"
            "  done([r.status, btoa(s)]); } else done([r.status, await r.text()]); })"
            ".catch(e => done([0, String(e)]));",
            path, method, headers or {}, body, binary)
        if binary and r[0]:
            r[1] = base64.b64decode(r[1])
        return r[0], r[1]

    # -- the console
    def allow(self, regex):
        """A console message a step provokes on purpose (a 403 it asks for)."""
        self.allowed.append(re.compile(regex))

    def collect(self, screen):
        for e in self.d.get_log("browser"):
            self.console.append((screen, e))

    def console_errors(self):
        bad = []
        for screen, e in self.console:
            if e.get("level") not in ("SEVERE", "WARNING"):
                continue
            if any(r.search(e.get("message", "")) for r in self.allowed):
                continue
            bad.append("%s: %s %s" % (screen, e.get("level"), e.get("message")))
        return bad


def exif_groups(path):
    """The exiftool groups present in a file other than those describing
    its structure: empty for a file without metadata."""
    p = subprocess.run(["exiftool", "-j", "-a", "-G1", "-u", path], capture_output=True,
                       text=True)
    tags = json.loads(p.stdout)[0]
    groups = set(k.split(":", 1)[0] for k in tags if ":" in k)
    # JFIF and PNG-pHYs carry only the pixel density, part of the format
    return sorted(groups - {"System", "File", "ExifTool", "Composite", "JFIF", "PNG",
                            "PNG-pHYs", "SourceFile"})
