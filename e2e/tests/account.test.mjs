// The account pages: a person who forgot the password asks for a link from the sign-in
// page, a signed-in person opens "Mitt konto" from the header and is told at the field when
// the current password is wrong, a made-up reset link is refused, and the accessibility
// statement is linked from every page's footer. Every page is checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn, DEMO } from "./helpers.mjs";

test("forgotten password, my account and the accessibility statement", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await page.goto(`${server.base}/logga-in`);
    await Promise.all([page.waitForURL(/\/logga-in\/glomt/), page.getByRole("link", { name: "Glömt lösenordet?" }).click()]);
    await checkA11y(page, "forgotten password");
    await page.locator("#f-email").fill("nobody@example.se");
    await page.locator('main button[type="submit"]').click();
    await page.waitForLoadState("load");
    assert.match(await page.locator("main").textContent(), /Om adressen hör till ett konto/);
    await checkA11y(page, "forgotten password, sent");

    // A made-up link shows the form; choosing a password there is refused, and said why.
    await page.goto(`${server.base}/losenord/not-a-real-token`);
    await checkA11y(page, "choose a new password");
    await page.locator("#f-password").fill("a-new-password-2026");
    await page.locator("#f-password_again").fill("a-new-password-2026");
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.locator('main button[type="submit"]').click()]);
    assert.equal(refused.status(), 409);
    await page.waitForLoadState("load");
    assert.match(await page.locator("main").textContent(), /länken/i);
    await checkA11y(page, "a reset link that does not work");

    await Promise.all([page.waitForURL(/\/tillganglighet/), page.locator("footer").getByRole("link", { name: /Tillgänglighet/ }).click()]);
    assert.match(await page.locator("h1").textContent(), /Tillgänglighetsredogörelse/);
    await checkA11y(page, "accessibility statement");

    const me = await newPage(browser);
    await signIn(me, server.base, DEMO.advisor, "/konto");
    assert.match(await me.locator("h1").textContent(), /Mitt konto/);
    await checkA11y(me, "my account");
    await me.locator("#f-current_password").fill("not-my-password");
    await me.locator("#f-password").fill("a-new-password-2026");
    await me.locator("#f-password_again").fill("a-new-password-2026");
    await me.getByRole("button", { name: "Byt lösenord" }).click();
    await me.waitForLoadState("load");
    assert.ok(await me.locator("#e-current_password").isVisible(), "the wrong current password is named at its field");
    await checkA11y(me, "my account, wrong current password");
  } finally {
    await browser.close();
    await server.stop();
  }
});
