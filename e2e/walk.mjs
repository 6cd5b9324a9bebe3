// Walks the main pages as each role at 360, 768, 1366 and 1920 px and writes a screenshot of
// each to e2e/test-results/walk/, for a person to look at (the tests check; this shows).
// Usage: SLUSS_BIN=target/debug/sluss node e2e/walk.mjs [--org-name "Region X" --logo file.svg]

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, newPage, signIn, startServer } from "./tests/helpers.mjs";

const OUT = join(import.meta.dirname, "test-results", "walk");
const WIDTHS = [360, 768, 1366, 1920];
const user = (role) => ({ email: `${role}@demo.sluss.se`, password: `demo-${role}-2026` });

const ROLES = {
  public: { pages: ["/", "/lamna", "/fragor", "/workshop", "/diarium", "/logga-in"] },
  advisor: { user: user("advisor"), pages: ["/inkorg", "/arenden", "/arenden/mina", "/arenden/forsenade", "/workshop/ny"] },
  "process-owner": { user: user("process-owner"), pages: ["/processer", "/arenden"] },
  admin: { user: user("admin"), pages: ["/processer", "/"] },
  "decision-maker": { user: user("decision-maker"), pages: ["/arenden", "/inkorg"] },
};

const server = await startServer(process.argv.slice(2));
const browser = await launch();
mkdirSync(OUT, { recursive: true });
try {
  for (const [role, { user: who, pages }] of Object.entries(ROLES)) {
    const page = await newPage(browser);
    if (who) await signIn(page, server.base, who, pages[0]);
    const extra = [];
    for (const path of pages) {
      await page.goto(server.base + path);
      // Follow into the first record of a list, and a workshop's own screens.
      if (path === "/inkorg" || path === "/arenden") {
        const first = await page.locator(`main a[href^="${path}/"]:not([href$="/nytt"]):not([href$="/mina"]):not([href$="/forsenade"])`).first().getAttribute("href").catch(() => null);
        if (first) extra.push(first);
      }
      if (path === "/workshop/ny") {
        const lead = await page.locator('main a[href$="/leda"]').first().getAttribute("href").catch(() => null);
        if (lead) extra.push(lead, lead.replace(/\/leda$/, "/projektor"));
      }
    }
    for (const path of [...pages, ...extra]) {
      await page.goto(server.base + path);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        const name = `${role}${path.replace(/[^a-z0-9]+/gi, "-")}-${width}.png`.replace(/--+/g, "-");
        await page.screenshot({ path: join(OUT, name), fullPage: true });
      }
    }
    await page.context().close();
  }
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await server.stop();
}
