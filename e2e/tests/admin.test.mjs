// The administration pages: the region's administrator opens /admin from the menu, adds a
// unit and renames it on /admin/organisationer, with the keyboard-reachable forms that work
// without JavaScript. Every admin page is checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn } from "./helpers.mjs";

const ADMIN = { email: "admin@demo.sluss.se", password: "demo-admin-2026" };

test("the administrator adds and renames a unit", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const admin = await newPage(browser);
    await signIn(admin, server.base, ADMIN, "/admin");
    assert.match(await admin.locator("h1").textContent(), /Administration/);
    await checkA11y(admin, "admin start");

    await admin.goto(`${server.base}/admin/organisationer`);
    await checkA11y(admin, "organisations");
    await admin.locator("#f-name").fill("Testenheten");
    await admin.locator("#f-slug").fill("testenheten");
    await Promise.all([admin.waitForURL(/klart=added/), admin.locator("#h-add ~ form button[type=submit]").click()]);
    assert.match(await admin.locator("#done").textContent(), /tillagd/);
    const row = admin.locator("tr", { has: admin.locator("code", { hasText: /^testenheten$/ }) });
    await row.locator("input[name=name]").fill("Testenheten omdöpt");
    await Promise.all([admin.waitForURL(/klart=changed/), row.locator("button[type=submit]").click()]);
    assert.match(await admin.locator("main").textContent(), /Testenheten omdöpt/);
    await checkA11y(admin, "organisations, after a change");
  } finally {
    await browser.close();
    await server.stop();
  }
});
