// The advisor asks for more; the citizen answers on the follow-up page with the keyboard.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, tabTo, DEMO } from "./helpers.mjs";

test("the advisor asks for more and the citizen answers on the follow-up page", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    // A submission through the public API, as another portal would send it.
    const res = await fetch(`${server.base}/api/v1/submissions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        kind: "idea",
        title: "Egenprovtagning hemma",
        description: "Patienter med kroniska sjukdomar skulle kunna ta enkla prover hemma och skicka in dem.",
        submitter_role: "patient",
        organisation: "halsa-och-sjukvard",
      }),
    });
    assert.equal(res.status, 201);
    const { id, reference, follow_up_url: link } = await res.json();

    const advisor = await newPage(browser);
    await advisor.goto(`${server.base}/logga-in?next=/inkorg/${id}`);
    await advisor.locator("#f-email").fill(DEMO.advisor.email);
    await advisor.locator("#f-password").fill(DEMO.advisor.password);
    await Promise.all([advisor.waitForURL(`**/inkorg/${id}`), advisor.locator('main button[type="submit"]').click()]);
    assert.equal((await advisor.locator("#reference").textContent()).trim(), reference);
    await advisor.locator("summary", { hasText: "Be om mer information" }).click();
    await advisor.locator("#f-request_info-message").fill("Vilka prover tänker du på, och hur ofta tas de i dag?");
    await Promise.all([advisor.waitForURL(/klart=request_info/), advisor.locator('form[action$="/komplettering"] button').click()]);
    assert.equal((await advisor.locator("#status").textContent()).trim(), "Väntar på komplettering");
    await checkA11y(advisor, "submission waiting for the submitter");

    const citizen = await newPage(browser);
    await citizen.goto(link);
    assert.equal((await citizen.locator("#status").textContent()).trim(), "Väntar på svar från dig");
    assert.match(await citizen.locator(".messages").textContent(), /Vilka prover tänker du på/);
    await checkA11y(citizen, "follow-up page with a question");

    // Sending an empty answer: the error is tied to the field.
    await tabTo(citizen, "#f-reply");
    await tabTo(citizen, 'form[action$="/svar"] button[type="submit"]');
    await Promise.all([citizen.waitForLoadState("load"), citizen.keyboard.press("Enter")]);
    await citizen.waitForSelector("#e-reply");
    assert.equal(await citizen.getAttribute("#f-reply", "aria-invalid"), "true");
    assert.match(await citizen.getAttribute("#f-reply", "aria-describedby"), /e-reply/);
    await checkA11y(citizen, "follow-up reply with an error");

    await tabTo(citizen, "#f-reply");
    await citizen.keyboard.type("Blodsocker och blodtryck, varje vecka på vårdcentralen.");
    await tabTo(citizen, 'form[action$="/svar"] button[type="submit"]');
    await Promise.all([citizen.waitForURL(/svar=1$/), citizen.keyboard.press("Enter")]);
    assert.match(await citizen.locator('[role="status"]').textContent(), /ditt svar är skickat/);
    assert.equal((await citizen.locator("#status").textContent()).trim(), "Under utredning");
    assert.equal(await citizen.locator("#f-reply").count(), 0, "no reply form once answered");
    await checkA11y(citizen, "follow-up page after answering");

    await advisor.reload();
    assert.equal((await advisor.locator("#status").textContent()).trim(), "Under utredning");
    assert.match(await advisor.locator(".timeline").textContent(), /Svar från inlämnaren/);
    assert.match(await advisor.locator("section[aria-labelledby='h-messages']").textContent(), /Blodsocker och blodtryck/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
