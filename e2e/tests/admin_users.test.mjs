// The administration of people with real mail: the region's administrator invites a
// person from /admin/anvandare, the invitation arrives at a real SMTP server (the tests'
// sink, scripts/smtp_sink.py), the person opens its link, chooses a password and is signed
// in, and signs in again later. Then a citizen who left an address gets the receipt, and
// after an advisor rejects the submission, the mail with the reason. The API tokens page
// and the event log are visited too. Every page is checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, startSmtpSink, launch, checkA11y, newPage, signIn, DEMO } from "./helpers.mjs";

const ADMIN = { email: "admin@demo.sluss.se", password: "demo-admin-2026" };
const INVITED = { email: "ny.kollega@example.se", password: "ett eget långt lösenord" };

/** The path (`/inbjudan/…`, `/folj/…`) of the first link in a mail that starts with `prefix`. */
function linkIn(mail, prefix) {
  const m = mail.match(new RegExp(`${prefix}[A-Za-z0-9_-]+`));
  assert.ok(m, `a ${prefix} link in:\n${mail}`);
  return m[0];
}

test("an invited person sets a password from the mail and signs in; a citizen gets the receipt and the reason", async () => {
  const sink = await startSmtpSink();
  const server = await startServer([], { smtp: sink });
  const browser = await launch();
  try {
    const admin = await newPage(browser);
    await signIn(admin, server.base, ADMIN, "/admin");
    await Promise.all([admin.waitForURL(/\/admin\/anvandare$/), admin.locator('main a[href="/admin/anvandare"]').click()]);
    await checkA11y(admin, "users");

    // A bad address first: the form comes back with the name as typed.
    await admin.locator("#invite-name").fill("Nya Kollegan");
    await admin.locator("#invite-email").fill("inte-en-adress");
    await admin.locator("#invite-email").evaluate((e) => e.setAttribute("type", "text"));
    await admin.locator("#invite-role").selectOption("advisor");
    await Promise.all([admin.waitForLoadState("load"), admin.locator("#h-invite ~ form button[type=submit]").click()]);
    await admin.waitForSelector("#error-summary");
    assert.equal(await admin.locator("#invite-name").inputValue(), "Nya Kollegan");
    assert.equal(await admin.locator("#invite-role").inputValue(), "advisor");
    await checkA11y(admin, "users, invitation refused");

    await admin.locator("#invite-email").fill(INVITED.email);
    await Promise.all([admin.waitForURL(/klart=invited/), admin.locator("#h-invite ~ form button[type=submit]").click()]);
    assert.match(await admin.locator("#done").textContent(), /Inbjudan är skickad/);
    assert.match(await admin.locator("#status").textContent(), /Inbjuden/);
    await checkA11y(admin, "user, invited");

    // The mail arrives at the SMTP server, with the link.
    const mail = await sink.waitFor(INVITED.email, /\/inbjudan\//);
    assert.match(mail, /Subject: /);
    const invitePath = linkIn(mail, "/inbjudan/");

    const person = await newPage(browser);
    await person.goto(`${server.base}${invitePath}`);
    await checkA11y(person, "invitation, choose a password");
    await person.locator("#f-password").fill(INVITED.password);
    await person.locator("#f-password_again").fill("något annat långt");
    await Promise.all([person.waitForLoadState("load"), person.locator('main button[type="submit"]').click()]);
    await person.waitForSelector("#error-summary");
    await checkA11y(person, "invitation, passwords differ");
    await person.locator("#f-password").fill(INVITED.password);
    await person.locator("#f-password_again").fill(INVITED.password);
    await Promise.all([person.waitForURL(/\/mitt-arbete$/), person.locator('main button[type="submit"]').click()]);
    await checkA11y(person, "invited person signed in");

    // The link works once; the password signs in from elsewhere.
    const again = await newPage(browser);
    await again.goto(`${server.base}${invitePath}`);
    await again.locator("#f-password").fill("ett tredje långt lösenord");
    await again.locator("#f-password_again").fill("ett tredje långt lösenord");
    await Promise.all([again.waitForLoadState("load"), again.locator('main button[type="submit"]').click()]);
    assert.match(await again.locator("main").textContent(), /redan använts eller gått ut/);
    await checkA11y(again, "invitation used");
    const later = await newPage(browser);
    await signIn(later, server.base, INVITED, "/konto");
    assert.match(await later.locator("main").textContent(), new RegExp(INVITED.email.replace(".", "\\.")));

    // The administrator sees the person as active, the tokens page and the event log.
    await admin.reload();
    assert.match(await admin.locator("#status").textContent(), /Aktiv/);
    await admin.goto(`${server.base}/admin/nycklar`);
    await checkA11y(admin, "api tokens");
    await admin.locator("#token-email").fill(INVITED.email);
    await admin.locator("#token-name").fill("Testintegrationen");
    await Promise.all([admin.waitForLoadState("load"), admin.locator("#h-create ~ form button[type=submit]").click()]);
    assert.match(await admin.locator("#secret code").textContent(), /^sluss_/);
    await checkA11y(admin, "api token created");
    await admin.goto(`${server.base}/admin/handelser?kind=user`);
    assert.match(await admin.locator("main table").textContent(), /user\.joined/);
    await checkA11y(admin, "event log");

    // A citizen with an address: the receipt arrives, with the follow-up link.
    const citizen = await newPage(browser);
    await citizen.goto(`${server.base}/lamna`);
    await citizen.locator("#f-kind").check();
    const title = "Belysning vid cykelparkeringen";
    await citizen.locator("#f-title").fill(title);
    await citizen.locator("#f-description").fill("Cykelparkeringen vid entrén är mörk på kvällarna, så personalen känner sig otrygg.");
    await citizen.locator("#f-submitter_role").check();
    await citizen.locator("#f-contact_email").fill("cyklist@example.se");
    await citizen.locator("#f-consent").check();
    await Promise.all([citizen.waitForURL(/\/folj\//), citizen.locator('main button[type="submit"]').click()]);
    const reference = (await citizen.locator("#reference").textContent()).trim();
    const receipt = await sink.waitFor("cyklist@example.se", /\/folj\//);
    assert.ok(receipt.includes(reference), `the receipt names ${reference}`);

    // An advisor rejects it with a reason; the mail with the reason arrives.
    const advisor = await newPage(browser);
    await signIn(advisor, server.base, DEMO.advisor, "/inkorg");
    await advisor.locator("#f-q").fill(title);
    await Promise.all([advisor.waitForURL(/q=/), advisor.locator("#f-q").press("Enter")]);
    await Promise.all([advisor.waitForURL(/\/inkorg\/[0-9a-f-]{36}$/), advisor.locator(`table.inbox a:text("${reference}")`).click()]);
    await advisor.locator("summary", { hasText: "Avsluta med motivering" }).click();
    await advisor.locator("#f-reject-reason").selectOption("not_innovation");
    await advisor.locator("#f-reject-reason_text").fill("Belysningen sköts av fastighetsförvaltningen; vi har skickat det dit.");
    await Promise.all([advisor.waitForURL(/klart=reject/), advisor.locator('form[action$="/avvisa"] button').click()]);
    await checkA11y(advisor, "submission rejected, mail on its way");
    const rejection = await sink.waitFor("cyklist@example.se", /fastighetsf/);
    assert.ok(rejection.includes(reference), `the rejection names ${reference}`);

    // The mail's link opens the citizen's choices without signing in; a choice is saved,
    // and the one-click page turns a kind off after asking.
    assert.match(rejection, /List-Unsubscribe: <[^>]*\/aviseringar\/[A-Za-z0-9_-]+\/av>/);
    const choicesPath = linkIn(rejection, "/aviseringar/");
    const choices = await newPage(browser);
    await choices.goto(`${server.base}${choicesPath}`);
    await checkA11y(choices, "notification choices by the mail's link");
    const select = choices.locator("main select").first();
    const options = await select.locator("option").evaluateAll((os) => os.map((o) => o.value));
    await select.selectOption(options[options.length - 1]);
    await Promise.all([choices.waitForURL(/sparat=1/), choices.locator('main button[type="submit"]').click()]);
    assert.equal(await select.inputValue(), options[options.length - 1]);
    await checkA11y(choices, "notification choices saved");
    await choices.goto(`${server.base}${choicesPath}/av`);
    await checkA11y(choices, "turn a kind of mail off: the question");
    await Promise.all([choices.waitForLoadState("load"), choices.locator('main button[type="submit"]').click()]);
    await choices.waitForSelector('main [role="status"]');
    await checkA11y(choices, "turn a kind of mail off: done");
  } finally {
    await browser.close();
    await server.stop();
    await sink.stop();
  }
});
