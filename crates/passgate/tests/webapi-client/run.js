// Drives passgate's WebAPI front end with SuperOffice's official TypeScript client
// (@superoffice/webapi, pinned in package-lock.json). Run by
// crates/passgate/tests/it/webapi_client.rs, which starts the servers, creates the users and
// passes everything in the environment:
//   PASSGATE_URL      onsite server base URL (the client appends /api/v1/Agents/User/)
//   TICKET            a SoPrincipal ticket of alice (password OLD)
//   BOB_ID            bob's associate id
//   ONLINE_URL, ONLINE_TICKET, APP_TOKEN   an online-mode server, a ticket there, its token
// Exits non-zero (and says which check) when anything differs from what the docs promise.
"use strict";
const assert = require("node:assert/strict");
const { UserAgent } = require("@superoffice/webapi");

const OLD = "correct horse battery staple";
const NEW = "a brand new passphrase, long";
const NEWER = "yet another long passphrase 7";
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const withTicket = (base, ticket, extra = {}) =>
  new UserAgent(base, { headers: { Authorization: `SOTicket ${ticket}`, ...extra } });
const withBasic = (base, username, password) =>
  new UserAgent(base, { auth: { username, password } });

async function rejects(promise, status, errorType) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.response?.status, status, `expected HTTP ${status}`);
    if (errorType) assert.equal(err.response.data.ErrorType, errorType);
    return err.response.data;
  }
  assert.fail(`expected a rejection with HTTP ${status}`);
}

async function check(name, body) {
  await body();
  console.log(`ok - ${name}`);
}

async function main() {
  const base = env("PASSGATE_URL");
  await check("ChangeOwnPassword with a SoPrincipal ticket", async () => {
    assert.equal(await withTicket(base, env("TICKET")).changeOwnPasswordAsync(OLD, NEW), true);
  });
  await check("ChangeOwnPassword with Basic", async () => {
    assert.equal(await withBasic(base, "alice", NEW).changeOwnPasswordAsync(NEW, NEWER), true);
  });
  await check("wrong old password answers false", async () => {
    assert.equal(
      await withBasic(base, "alice", NEWER).changeOwnPasswordAsync("not my password", NEW),
      false
    );
  });
  await check("a weak new password is refused with the reason", async () => {
    const data = await rejects(
      withBasic(base, "alice", NEWER).changeOwnPasswordAsync(NEWER, "short"),
      400,
      "PasswordPolicyException"
    );
    assert.ok(data.ErrorMessage.length > 0);
  });
  await check("IsPasswordValidWithReason", async () => {
    const agent = withBasic(base, "alice", NEWER);
    const weak = await agent.isPasswordValidWithReasonAsync(0, "InternalAssociate", 0, "short");
    assert.equal(weak.result, false);
    assert.ok(weak.reason.length > 0);
    const strong = await agent.isPasswordValidWithReasonAsync(0, "InternalAssociate", 0, NEW);
    assert.deepEqual([strong.result, strong.reason], [true, ""]);
  });
  const bob = Number(env("BOB_ID"));
  await check("a non-admin may not set another user's password", async () => {
    await rejects(
      withBasic(base, "carol", OLD).setPasswordAsync(bob, NEW),
      403,
      "SoAccessDeniedException"
    );
  });
  await check("an administrator sets another user's password", async () => {
    assert.equal(await withBasic(base, "root", OLD).setPasswordAsync(bob, NEW), true);
  });
  await check("unknown user and wrong password look the same", async () => {
    const a = await rejects(withBasic(base, "alice", "wrong").changeOwnPasswordAsync(NEWER, NEW), 401);
    const b = await rejects(withBasic(base, "nobody", "wrong").changeOwnPasswordAsync(NEWER, NEW), 401);
    assert.deepEqual(a, b);
  });

  const online = env("ONLINE_URL");
  const ticket = env("ONLINE_TICKET");
  await check("online: a ticket without SO-AppToken is refused", async () => {
    await rejects(
      withTicket(online, ticket).changeOwnPasswordAsync(OLD, NEW),
      401,
      "InvalidApplicationTokenException"
    );
  });
  await check("online: Basic is refused", async () => {
    await rejects(withBasic(online, "alice", OLD).changeOwnPasswordAsync(OLD, NEW), 401);
  });
  await check("online: a ticket with SO-AppToken changes the password", async () => {
    const agent = withTicket(online, ticket, { "SO-AppToken": env("APP_TOKEN") });
    assert.equal(await agent.changeOwnPasswordAsync(OLD, NEW), true);
  });
}

main().then(
  () => console.log("all WebAPI client checks passed"),
  (err) => {
    console.error(`FAILED: ${err.stack || err}`);
    process.exit(1);
  }
);
