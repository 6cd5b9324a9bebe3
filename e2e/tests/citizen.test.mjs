// A citizen submits a need with the keyboard only and gets the receipt.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, tabTo, focusVisible, newPage } from "./helpers.mjs";

test("a citizen submits a need by keyboard only and gets the receipt", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await page.goto(`${server.base}/`);
    await checkA11y(page, "start page");

    // The skip link comes first and shows its focus.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Hoppa till innehållet");
    assert.ok(await focusVisible(page), "visible focus on the skip link");

    await tabTo(page, 'main a[href="/lamna"]');
    assert.ok(await focusVisible(page), "visible focus on the call to action");
    await Promise.all([page.waitForURL("**/lamna"), page.keyboard.press("Enter")]);
    await checkA11y(page, "intake form");

    // Sending the empty form: every problem is listed, focus moves to the summary.
    await tabTo(page, 'main button[type="submit"]');
    await Promise.all([page.waitForLoadState("load"), page.keyboard.press("Enter")]);
    await page.waitForSelector("#error-summary");
    assert.equal(await page.evaluate(() => document.activeElement.id), "error-summary");
    assert.match(await page.title(), /^Fel: /);
    const problems = await page.locator("#error-summary li").count();
    assert.ok(problems >= 5, `expected at least five problems, got ${problems}`);
    await checkA11y(page, "intake form with errors");

    // Fill it in with the keyboard.
    await tabTo(page, "#f-kind");
    await page.keyboard.press("Space");
    await tabTo(page, "#f-title");
    await page.keyboard.type("Digital incheckning på vårdcentralen");
    await tabTo(page, "#f-description");
    await page.keyboard.type("Patienter står i kö vid receptionen varje morgon för att anmäla sig, trots att de har en bokad tid.");
    await tabTo(page, "#f-affected");
    await page.keyboard.type("Patienter och personal i receptionen");
    await tabTo(page, "#f-submitter_role");
    await page.keyboard.press("ArrowDown"); // from "Invånare" to "Patient eller närstående"
    await tabTo(page, "#f-consent");
    await page.keyboard.press("Space");
    assert.equal(await page.locator("#f-kind").isChecked(), true);
    assert.equal(await page.locator("#f-submitter_role-patient").isChecked(), true);
    assert.equal(await page.locator("#f-consent").isChecked(), true);

    await tabTo(page, 'main button[type="submit"]');
    await Promise.all([page.waitForURL(/\/folj\/[0-9a-f]+\?ny=1$/), page.keyboard.press("Enter")]);
    const reference = (await page.locator("#reference").textContent()).trim();
    assert.match(reference, /^\d{4}\/\d{5}$/);
    assert.equal(reference, `${new Date().getUTCFullYear()}/00047`, "the demo's 30 submissions and 16 cases share the series and come first");
    const link = await page.locator("#follow-up-link").getAttribute("href");
    assert.ok(link.startsWith(`${server.base}/folj/`));
    assert.equal((await page.locator("#status").textContent()).trim(), "Ny");
    await checkA11y(page, "receipt");

    // The private link works on its own.
    await page.goto(link);
    assert.equal((await page.locator("h1").textContent()).trim(), `Din inlämning ${reference}`);
    await checkA11y(page, "follow-up page");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("the site works in English and on a small screen", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser, { viewport: { width: 360, height: 740 } });
    await page.goto(`${server.base}/lamna`);
    // On a phone the menu is behind one button, and the language link inside it.
    assert.equal(await page.locator('a[hreflang="en"]').isVisible(), false);
    await page.locator("summary.menu-button").click();
    await checkA11y(page, "the menu opened on a phone");
    await page.locator('a[hreflang="en"]').click();
    await page.waitForURL("**/lamna");
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal((await page.locator("h1").textContent()).trim(), "Submit a need or an idea");
    await checkA11y(page, "English intake form, 360 px wide");
    // No sideways scrolling at 360 CSS pixels (WCAG 1.4.10 reflow).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    await page.goto(`${server.base}/finns-inte`);
    assert.equal((await page.locator("h1").textContent()).trim(), "Page not found");
    await checkA11y(page, "English 404 page");
  } finally {
    await browser.close();
    await server.stop();
  }
});
