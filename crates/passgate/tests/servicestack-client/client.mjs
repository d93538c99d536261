// Drives passgate's Net3/ServiceStack front end with the real @servicestack/client, using its
// defaults (basePath "/api", JSON, managed cookies). Usage:
//   node client.mjs BASE_URL USER PASSWORD NEW_PASSWORD
// Prints one line per check and "SERVICESTACK CLIENT OK" at the end; exits non-zero on the
// first failed check.
import { JsonServiceClient } from "@servicestack/client";

const [base, user, password, newPassword] = process.argv.slice(2);
let checks = 0;
function check(cond, what, detail) {
  if (!cond) {
    console.error(`FAILED: ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail)}`);
    process.exit(1);
  }
  checks++;
  console.log(`ok ${checks} ${what}`);
}

// Typed DTOs, as `npx get-dtos` would generate them from /types/typescript.
class SecurityResponse { constructor(init) { Object.assign(this, init); } }
class Security {
  constructor(init) { Object.assign(this, init); }
  getTypeName() { return "Security"; }
  getMethod() { return "POST"; }
  createResponse() { return new SecurityResponse(); }
}
class ChangePasswordResponse { constructor(init) { Object.assign(this, init); } }
class ChangePassword {
  constructor(init) { Object.assign(this, init); }
  getTypeName() { return "ChangePassword"; }
  getMethod() { return "PUT"; }
  createResponse() { return new ChangePasswordResponse(); }
}
class AuthenticateResponse { constructor(init) { Object.assign(this, init); } }
class Authenticate {
  constructor(init) { Object.assign(this, init); }
  getTypeName() { return "Authenticate"; }
  getMethod() { return "POST"; }
  createResponse() { return new AuthenticateResponse(); }
}
class ChangePasswordWithToken {
  constructor(init) { Object.assign(this, init); }
  getTypeName() { return "ChangePasswordWithToken"; }
  getMethod() { return "PUT"; }
  createResponse() { return new ChangePasswordResponse(); }
}
class ForgotPasswordResponse { constructor(init) { Object.assign(this, init); } }
class ForgotPassword {
  constructor(init) { Object.assign(this, init); }
  getTypeName() { return "ForgotPassword"; }
  getMethod() { return "PUT"; }
  createResponse() { return new ForgotPasswordResponse(); }
}

const client = new JsonServiceClient(base);

// send / post: a login through /api/Security.
const login = await client.post(new Security({ username: user, password }));
check(typeof login.sessionId === "string" && login.sessionId.length > 20, "post Security gives a sessionId");

// api(): the ApiResult wrapper, success and failure.
const ok = await client.api(new Security({ username: user, password }));
check(ok.succeeded && ok.response.sessionId, "api() succeeds", ok.error);
const bad = await client.api(new Security({ username: user, password: "wrong" + password }));
check(!bad.succeeded && bad.error.errorCode === "Unauthorized", "api() surfaces a 401 as ResponseStatus", bad.error);

// Authenticate sets the ss-id cookie, which the client keeps and sends back.
const auth = await client.send(new Authenticate({ provider: "credentials", userName: user, password }));
check(auth.userName === user && auth.sessionId, "Authenticate logs in", auth);
check(client.cookies["ss-id"] && client.cookies["ss-id"].value === auth.sessionId, "ss-id cookie managed", Object.keys(client.cookies));

// A policy refusal comes back as a Fail result with field errors.
const weak = await client.put(new ChangePassword({ password, newPassword: "short" }));
check(weak.result.result === "Fail", "weak password refused", weak);
const fieldErrors = weak.responseStatus.errors.map((e) => e.fieldName);
check(fieldErrors.includes("newPassword"), "field errors name newPassword", weak.responseStatus);

// put(): the change through the cookie session.
const changed = await client.put(new ChangePassword({ password, newPassword }));
check(changed.result.result === "Success", "ChangePassword through the cookie session", changed);

// The old cookie session was kept (own session), other sessions ended: the first sessionId is dead.
const other = new JsonServiceClient(base);
try {
  await other.put(new ChangePassword({ sessionId: login.sessionId, password: newPassword, newPassword: password + " again" }));
  check(false, "a session revoked by the change must be refused");
} catch (e) {
  check(e.responseStatus && e.responseStatus.errorCode === "Unauthorized", "revoked session gives WebServiceException 401", e.responseStatus);
}

// onAuthenticationRequired: called on 401, then the request is sent again.
const lazy = new JsonServiceClient(base);
let asked = 0;
lazy.onAuthenticationRequired = async () => {
  asked++;
  const r = await new JsonServiceClient(base).post(new Security({ username: user, password: newPassword }));
  lazy.headers.set("X-ss-id", r.sessionId);
};
const who = await lazy.get(new Authenticate({}));
check(asked === 1 && who.userName === user, "onAuthenticationRequired then retry", { asked, who });

// sendAll: auto-batched requests, one response per request.
const all = await client.sendAll([
  new Security({ username: user, password: newPassword }),
  new Security({ username: user, password: newPassword }),
]);
check(Array.isArray(all) && all.length === 2 && all.every((r) => r.sessionId), "sendAll returns every response", all);
try {
  await client.sendAll([
    new Security({ username: user, password: newPassword }),
    new Security({ username: user, password: "wrong" }),
  ]);
  check(false, "a failing batch item must raise");
} catch (e) {
  check(e.responseStatus && e.responseStatus.errorCode === "Unauthorized", "sendAll stops at the failing item", e.responseStatus);
}

// Binding errors surface as SerializationException with the field.
try {
  await client.put(new ChangePasswordWithToken({ authToken: "not-a-guid", newPassword: "x" }));
  check(false, "a malformed Guid must be refused");
} catch (e) {
  const st = e.responseStatus || {};
  check(st.errorCode === "SerializationException" && (st.errors || []).some((x) => x.fieldName === "authToken"), "malformed Guid: SerializationException naming authToken", st);
}

// Reset by e-mail is not configured on this server: a clear error, not a 404.
try {
  await client.put(new ForgotPassword({ email: "a@example.com", changePwdUrl: "https://portal.example/reset" }));
  check(false, "ForgotPassword without mail must be refused");
} catch (e) {
  check(e.responseStatus && e.responseStatus.errorCode === "NotImplemented", "ForgotPassword without mail: NotImplemented", e.responseStatus);
}

// The pre-v6 predefined routes still work with basePath cleared.
const legacy = new JsonServiceClient(base);
legacy.basePath = null;
const viaReply = await legacy.post(new Security({ username: user, password: newPassword }));
check(viaReply.sessionId, "basePath=null uses /json/reply", viaReply);

console.log("SERVICESTACK CLIENT OK");
