// E-mail without an SMTP server: a citizen who left an address submits, and the region's
// administrator reads the receipt waiting in the outbox (/admin/utkorg) and its job on the
// jobs page (/admin/jobb). Both pages are checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn } from "./helpers.mjs";

const ADMIN = { email: "admin@demo.sluss.se", password: "demo-admin-2026" };

test("the administrator reads the receipt in the outbox", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const citizen = await newPage(browser);
    await citizen.goto(`${server.base}/lamna`);
    await citizen.locator("#f-kind").check();
    await citizen.locator("#f-title").fill("Skyltning till laddplatserna");
    await citizen.locator("#f-description").fill("Det saknas skyltar till laddplatserna, så besökare med elbil letar länge.");
    await citizen.locator("#f-submitter_role").check();
    await citizen.locator("#f-contact_email").fill("elbil@example.se");
    await citizen.locator("#f-consent").check();
    await Promise.all([citizen.waitForURL(/\/folj\//), citizen.locator('main button[type="submit"]').click()]);
    const reference = (await citizen.locator("#reference").textContent()).trim();

    const admin = await newPage(browser);
    await signIn(admin, server.base, ADMIN, "/admin/utkorg");
    const first = admin.locator("ul.outbox > li").first();
    assert.match(await first.locator("h2").textContent(), new RegExp(reference.replace("/", "\\/")));
    assert.match(await first.textContent(), /elbil@example\.se/);
    await checkA11y(admin, "outbox");
    await first.locator("summary").click();
    assert.match(await first.locator("pre").textContent(), /\/folj\//);
    await checkA11y(admin, "outbox, a mail open");

    await admin.goto(`${server.base}/admin/jobb`);
    assert.match(await admin.locator("h2").first().textContent(), /Väntar \([1-9]/);
    await checkA11y(admin, "jobs");
  } finally {
    await browser.close();
    await server.stop();
  }
});
