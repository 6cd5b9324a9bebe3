// Walks every page each role reaches from its menu and its start page, in Swedish and in
// English, at 360, 768, 1366 and 1920 px: writes a screenshot of each to
// e2e/test-results/walk/ for a person to look at, and lists what axe-core finds (violations
// and undecided colour contrast) and the pages that scroll sideways (the tests fail on these;
// the walk only reports, so that one run shows everything).
// Usage: SLUSS_BIN=target/debug/sluss node e2e/walk.mjs [--org-name "Region X" --logo file.svg]
// Only some roles: WALK_ROLES=advisor,admin; only one language: WALK_LANGS=en.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { launch, newPage, signIn, startServer } from "./tests/helpers.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const OUT = join(import.meta.dirname, "test-results", "walk");
const WIDTHS = [360, 768, 1366, 1920];
const ALL_ROLES = ["public", "staff", "advisor", "decision-maker", "process-owner", "procurement", "company", "reviewer", "fund-manager", "coordinator", "admin"];
const ROLES = process.env.WALK_ROLES ? process.env.WALK_ROLES.split(",") : ALL_ROLES;
const LANGS = process.env.WALK_LANGS ? process.env.WALK_LANGS.split(",") : ["sv", "en"];
const user = (role) => ({ email: `${role}@demo.sluss.se`, password: `demo-${role}-2026` });
// Pages a visitor reaches without the menu: the public forms, and the start of each list's first record.
const PUBLIC = ["/", "/lamna", "/fragor", "/workshop", "/diarium", "/logga-in"];

/** The menu's links and the start page's links into records, as paths on this site. */
async function reachable(page, base) {
  return page.evaluate((base) => {
    const paths = new Set();
    for (const a of document.querySelectorAll("header nav a[href], main a[href]")) {
      const u = new URL(a.href, base);
      if (u.origin !== new URL(base).origin || u.pathname.startsWith("/sprak") || u.pathname.startsWith("/static")) continue;
      paths.add(u.pathname + u.search);
    }
    return [...paths];
  }, base);
}

async function check(page) {
  await page.evaluate(AXE_SOURCE);
  const axe = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations", "incomplete"] });
    const shown = (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`;
    return [...r.violations.map(shown), ...r.incomplete.filter((v) => v.id === "color-contrast").map((v) => `incomplete ${shown(v)}`)];
  });
  const headings = await page.evaluate(() => {
    // A heading level skipped (h2 → h4) or a page without one h1.
    const hs = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map((h) => Number(h.tagName[1]));
    const out = [];
    if (hs.filter((l) => l === 1).length !== 1) out.push(`${hs.filter((l) => l === 1).length} h1`);
    for (let i = 1; i < hs.length; i++) if (hs[i] > hs[i - 1] + 1) out.push(`h${hs[i - 1]}→h${hs[i]}`);
    return out;
  });
  return { axe, headings };
}

const server = await startServer(process.argv.slice(2));
const browser = await launch();
mkdirSync(OUT, { recursive: true });
const report = [];
try {
  for (const role of ROLES) {
    for (const lang of LANGS) {
      const page = await newPage(browser);
      await page.goto(`${server.base}/sprak/${lang}?next=/`);
      const start = role === "public" ? "/" : "/mitt-arbete";
      if (role !== "public") await signIn(page, server.base, user(role), start);
      const todo = role === "public" ? [...PUBLIC] : [start];
      await page.goto(server.base + start);
      for (const p of await reachable(page, server.base)) if (!todo.includes(p)) todo.push(p);
      const seen = new Set();
      // One level below each page of the menu: the first record of each kind.
      const kinds = new Set();
      for (let i = 0; i < todo.length && i < 40; i++) {
        const path = todo[i];
        if (seen.has(path)) continue;
        seen.add(path);
        const res = await page.goto(server.base + path);
        const status = res ? res.status() : 0;
        const { axe, headings } = await check(page);
        const overflow = [];
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 900 });
          const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (wide > 0) overflow.push(`${width}:+${wide}px`);
          const name = `${role}-${lang}${path.replace(/[^a-z0-9]+/gi, "-")}-${width}.png`.replace(/--+/g, "-");
          await page.screenshot({ path: join(OUT, name), fullPage: true });
        }
        report.push({ role, lang, path, status, axe, headings, overflow });
        console.log(`${role} ${lang} ${path} ${status}${axe.length ? " AXE " + axe.join(" | ") : ""}${headings.length ? " HEADINGS " + headings.join(",") : ""}${overflow.length ? " OVERFLOW " + overflow.join(",") : ""}`);
        if (i === 0 || PUBLIC.includes(path) || path.split("/").length === 2) {
          for (const p of await reachable(page, server.base)) {
            const kind = p.split("/").slice(0, 2).join("/") + "/" + (p.split("/").length > 2 ? "*" : "");
            if (!seen.has(p) && !todo.includes(p) && !kinds.has(kind) && !/logga-ut|\?/.test(p)) {
              kinds.add(kind);
              todo.push(p);
            }
          }
        }
      }
      await page.context().close();
    }
  }
  writeFileSync(join(OUT, "report.json"), JSON.stringify(report, null, 2));
  console.log(`screenshots and report.json in ${OUT}`);
} finally {
  await browser.close();
  await server.stop();
}
