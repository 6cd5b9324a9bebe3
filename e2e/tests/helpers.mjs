// Shared by the browser tests: start Sluss on a fresh SQLite file with demo data, drive
// Debian's Chromium with Playwright, and check every visited page with axe-core.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const DEMO = {
  advisor: { email: "advisor@demo.sluss.se", password: "demo-advisor-2026" },
  decisionMaker: { email: "decision-maker@demo.sluss.se", password: "demo-decision-maker-2026" },
  processOwner: { email: "process-owner@demo.sluss.se", password: "demo-process-owner-2026" },
};

/** Signs in through the form and lands on `next`. */
export async function signIn(page, base, user, next) {
  await page.goto(`${base}/logga-in?next=${encodeURIComponent(next)}`);
  await page.locator("#f-email").fill(user.email);
  await page.locator("#f-password").fill(user.password);
  await Promise.all([page.waitForURL((u) => u.pathname === next.split("?")[0]), page.locator('main button[type="submit"]').click()]);
}

/**
 * Starts `sluss serve --demo` (and `extraArgs`) on a free port; resolves when it answers /healthz.
 * `options.smtp`: a sink from `startSmtpSink`, to which the server then sends its mail.
 */
export async function startServer(extraArgs = [], options = {}) {
  const bin = process.env.SLUSS_BIN;
  assert.ok(bin, "SLUSS_BIN must point at the sluss binary");
  const dir = mkdtempSync(join(tmpdir(), "sluss-e2e-"));
  const mail = options.smtp ? ["--smtp-url", options.smtp.url, "--mail-from", "Sluss <sluss@example.se>"] : [];
  const child = spawn(bin, ["serve", "--demo", "--bind", "127.0.0.1:0", "--database-url", `sqlite://${dir}/e2e.db`, ...mail, ...extraArgs], {
    env: { ...process.env, RUST_LOG: "warn,sluss=info,web=info", NO_COLOR: "1", SLUSS_PUBLIC_WRITE_LIMIT: "1000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluss did not start:\n${log}`)), 60_000);
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`sluss exited with ${code}:\n${log}`)));
  });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    log: () => log,
    /** Stops with SIGTERM (a clean shutdown), or SIGKILL if that takes over 10 s. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the tests' SMTP server (scripts/smtp_sink.py, on aiosmtpd: the python at
 * $SLUSS_SMTP_SINK_PYTHON or where scripts/test.sh installs it), which writes each mail it
 * receives into a folder. `waitFor(to, match)` resolves with the first mail to `to` whose
 * text matches, decoded from quoted-printable; `stop()` ends it.
 */
export async function startSmtpSink() {
  const python = process.env.SLUSS_SMTP_SINK_PYTHON || "/var/cache/sluss-tools/aiosmtpd-1.4.6/bin/python";
  const dir = mkdtempSync(join(tmpdir(), "sluss-e2e-smtp-"));
  const script = join(import.meta.dirname, "..", "..", "scripts", "smtp_sink.py");
  const child = spawn(python, [script, "--dir", dir], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the SMTP sink did not start: ${out}`)), 20_000);
    child.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const m = out.match(/PORT (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`the SMTP sink exited with ${code}: ${out}`)));
  });
  const mails = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".eml"))
      .sort()
      .map((f) => readFileSync(join(dir, f), "utf8").replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async waitFor(to, match) {
      for (let i = 0; i < 300; i++) {
        const found = mails().find((m) => m.startsWith(`X-Envelope-To: ${to}`) && match.test(m));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no mail to ${to} matching ${match} arrived; got:\n${mails().join("\n----\n")}`);
    },
    async stop() {
      child.stdin.end();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/** A new page in its own context; waits fail after 15 s with a message instead of hanging. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: "sv-SE", ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  if (options.javaScriptEnabled === false) noScript.add(page);
  return page;
}

const noScript = new WeakSet();

/**
 * axe-core cannot run in a page whose scripts are disabled. For such a page, the exact HTML it
 * received is replayed at the same address in a checker page where the site's own scripts are
 * blocked (so the DOM is what a no-JavaScript visitor gets) and axe is injected.
 */
async function replayWithoutScripts(page) {
  const html = await page.content();
  const url = page.url();
  const context = await page.context().browser().newContext({ locale: "sv-SE" });
  const checker = await context.newPage();
  await checker.route("**/*", (route) => {
    const req = route.request();
    if (req.url() === url && req.resourceType() === "document") return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    if (req.resourceType() === "script") return route.abort();
    return route.continue();
  });
  await checker.goto(url);
  return { checker, close: () => context.close() };
}

/** Runs axe-core on the page as it is now; fails the test on any violation. */
export async function checkA11y(page, label) {
  if (noScript.has(page)) {
    const { checker, close } = await replayWithoutScripts(page);
    try {
      return await runAxe(checker, `${label}, as served without JavaScript`);
    } finally {
      await close();
    }
  }
  return runAxe(page, label);
}

const PAGES = join(import.meta.dirname, "..", "test-results", "html");

async function runAxe(page, label) {
  // The page as checked, for the Nu HTML checker that scripts/test.sh runs over them all.
  mkdirSync(PAGES, { recursive: true });
  const file = label.replace(/[^a-z0-9åäö]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
  writeFileSync(join(PAGES, `${file}.html`), await page.content());
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations", "incomplete"] });
    const shown = (v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) });
    // axe cannot always decide a contrast (text over an image, or white on white that it
    // takes for a background it cannot see): such a case is a failure here too, since a
    // person cannot read it either.
    return [...r.violations.map(shown), ...r.incomplete.filter((v) => v.id === "color-contrast").map((v) => ({ ...shown(v), incomplete: true }))];
  });
  assert.deepEqual(result, [], `axe violations on ${label} (${page.url()}):\n${JSON.stringify(result, null, 2)}`);
  await checkWidths(page, label);
  return result;
}

const SCREENS = join(import.meta.dirname, "..", "test-results", "screens");
const WIDTHS = [360, 768, 1366, 1920];

/**
 * At a phone's, a tablet's, a laptop's and a wide screen's width, the page must not scroll sideways (a table may
 * scroll in its own region); a screenshot of each is kept under e2e/test-results/screens
 * for a person to look at.
 */
async function checkWidths(page, label) {
  const before = page.viewportSize();
  const name = label.replace(/[^a-z0-9åäö]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
  mkdirSync(SCREENS, { recursive: true });
  const overflowing = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const wide = await page.evaluate(() => {
      const page = document.documentElement;
      if (page.scrollWidth <= page.clientWidth) return null;
      // The widest elements that stick out, to say what to mend.
      const out = [...document.body.querySelectorAll("*")]
        .filter((el) => el.getBoundingClientRect().right > page.clientWidth + 1)
        .slice(0, 5)
        .map((el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "") + (el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""));
      return { scrollWidth: page.scrollWidth, clientWidth: page.clientWidth, out };
    });
    await page.screenshot({ path: join(SCREENS, `${name}-${width}.png`), fullPage: true });
    if (wide) overflowing.push({ width, ...wide });
  }
  if (before) await page.setViewportSize(before);
  assert.deepEqual(overflowing, [], `${label} (${page.url()}) scrolls sideways:\n${JSON.stringify(overflowing, null, 2)}`);
}

/** Presses Tab until the focused element matches `selector`; fails if it is never reached. */
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    const hit = await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), selector);
    if (hit) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`could not reach ${selector} with the keyboard`);
}

/** Whether the focused element shows a visible focus indicator (outline or box-shadow). */
export async function focusVisible(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== "none");
  });
}
