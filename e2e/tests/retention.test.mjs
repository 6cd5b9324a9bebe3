// Retention and personal data (issue 20, items 7 and 8): the region's administrator opens
// /admin/gallring, is told at the field when a rule's months are wrong, sets a rule to keep,
// opens a rule's dry-run and asks for a run; anyone reads /om-personuppgifter from the
// footer and the intake, and reports an accessibility problem with the form on
// /tillganglighet (a field error first). Every page is checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn } from "./helpers.mjs";

const ADMIN = { email: "admin@demo.sluss.se", password: "demo-admin-2026" };
const RULE = "#rule-region-sydost-rejected_contact";

test("retention rules, the page on personal data and the accessibility report", async () => {
  const server = await startServer(["--accessibility-contact", "tillganglighet@demo.sluss.se"]);
  const browser = await launch();
  try {
    const admin = await newPage(browser);
    await signIn(admin, server.base, ADMIN, "/admin");
    await Promise.all([admin.waitForURL(/\/admin\/gallring$/), admin.getByRole("link", { name: "Gallring" }).click()]);
    assert.match(await admin.locator("h1").textContent(), /Gallring/);
    await checkA11y(admin, "retention rules");

    // A wrong number is named at its field, with what was typed.
    await admin.locator(`${RULE} input[name=months]`).fill("tolv");
    await admin.locator(`${RULE} button[type=submit]`).click();
    await admin.waitForLoadState("load");
    assert.match(await admin.locator("#error-summary").textContent(), /helt antal månader/);
    assert.equal(await admin.locator(`${RULE} input[name=months]`).inputValue(), "tolv");
    await checkA11y(admin, "retention rules, a wrong number");

    // Keep: the rule removes nothing.
    await admin.locator(`${RULE} input[name=months]`).fill("12");
    await admin.locator(`${RULE} input[name=keep]`).check();
    await Promise.all([admin.waitForURL(/klart=saved/), admin.locator(`${RULE} button[type=submit]`).click()]);
    assert.match(await admin.locator("#done").textContent(), /sparad/);
    assert.match(await admin.locator(RULE).textContent(), /bevaras/);

    await admin.goto(`${server.base}/admin/gallring/region-sydost/answered_contact`);
    assert.match(await admin.locator("h1").textContent(), /Provkörning/);
    assert.match(await admin.locator("#dry-run-count").textContent(), /skulle gallras nu/);
    await checkA11y(admin, "retention dry run");

    await admin.goto(`${server.base}/admin/gallring`);
    await Promise.all([admin.waitForURL(/klart=run/), admin.getByRole("button", { name: /Kör gallringen nu/ }).click()]);
    assert.match(await admin.locator("#done").textContent(), /beställd/);

    // Anyone: the page on personal data, from the footer and from the intake's consent.
    const page = await newPage(browser);
    await page.goto(`${server.base}/lamna`);
    await Promise.all([page.waitForURL(/\/om-personuppgifter/), page.locator(".consent-text a[href='/om-personuppgifter']").click()]);
    assert.match(await page.locator("h1").textContent(), /Om personuppgifter/);
    assert.match(await page.locator("main").textContent(), /bevaras/);
    assert.match(await page.locator("main").textContent(), /36 månader/);
    await checkA11y(page, "personal data");
    await Promise.all([page.waitForURL(/\/tillganglighet/), page.locator("footer").getByRole("link", { name: /Tillgänglighet/ }).click()]);

    // The report form: a missing field first, then sent.
    await page.locator("#f-problem").fill("Knappen Skicka går inte att nå med tangentbordet.");
    await page.getByRole("button", { name: "Skicka rapporten" }).click();
    await page.waitForLoadState("load");
    assert.ok(await page.locator("#e-page").isVisible(), "the missing page is named at its field");
    assert.equal(await page.locator("#f-problem").inputValue(), "Knappen Skicka går inte att nå med tangentbordet.");
    await checkA11y(page, "accessibility report, a missing field");
    await page.locator("#f-page").fill("Lämna ett förslag");
    await Promise.all([page.waitForURL(/skickat=1/), page.getByRole("button", { name: "Skicka rapporten" }).click()]);
    assert.match(await page.locator("#skickat").textContent(), /Tack för din rapport/);
    await checkA11y(page, "accessibility report, sent");

    // It waits in the outbox, for the region's administrators to read.
    await admin.goto(`${server.base}/admin/utkorg`);
    assert.match(await admin.locator("main").textContent(), /Rapport om tillgänglighet/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
