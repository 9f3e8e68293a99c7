// blotter.test.js - the blotter end to end, in a real headless browser.
//
// A real omsd (fresh data directory, FIX and admin API on ports the system
// picks; the restart reuses the admin port so that the page finds it again), a real FIX client (fix_orders, liboms' codec) and Debian's
// chromium driven by puppeteer-core:
//   1. the page asks for a token, says so when the token is refused, and
//      goes live with a good one;
//   2. an order placed over FIX appears in the blotter within a second
//      (measured from the moment the FIX client is told to send it);
//   3. its Cancel button (after the confirmation) cancels it: the row shows
//      CANCELLED and the FIX client receives the Canceled ExecutionReport;
//      its detail shows the audit trail;
//   4. HALT (confirmed) makes omsd refuse the next FIX order; RESUME;
//   5. omsd is stopped and started again while the page cannot reach the
//      stream; orders are placed meanwhile; once it can, the page catches up
//      from the last event it saw, with no reload: every order in the state
//      of its last event, the page at the server's last sequence number;
//   6. the account filter shows that account's orders only, and cancel-all
//      cancels the open orders in the filters' scope; the filter's fresh
//      start is made while the store's views lag (another process holds
//      the SQLite projection's write lock), so its snapshot lacks the newest
//      order: the order still shows, brought by the stream from the seq the
//      snapshot is as of;
//   7. a TWAP parent placed through the API shows in the Parents tab with its
//      progress until COMPLETED, and its children under it (and in the
//      orders table, marked with their parent).
// A screenshot of the final page is saved as WORKDIR/blotter.png (the one in
// docs/ is a copy).
//
// usage: node blotter.test.js OMSD FIX_ORDERS CONFIG WORKDIR
// (puppeteer-core is found through NODE_PATH; run_blotter.sh sets it up.)
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const puppeteer = require("puppeteer-core");

const [omsdBin, fixBin, baseConf, work] = process.argv.slice(2);
// How long a wait for the page or a FIX client may take before the test
// fails. A failure detector, not a speed check (each wait returns as soon as
// its condition holds): under ASan on a busy 2-CPU CI machine a step that
// takes 200 ms here has taken over 5 s.
const WAIT_MS = 20000;
if (!work) {
  console.error("usage: node blotter.test.js OMSD FIX_ORDERS CONFIG WORKDIR");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TOKEN = "ops-secret-change-me";
const logPath = path.join(work, "omsd.log");
const started = Date.now();
const children = new Set();

function log(...a) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(2)}s]`, ...a);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what, fn, ms = WAIT_MS, every = 20) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

// ---- omsd ------------------------------------------------------------------------------

class Omsd {
  constructor(conf) {
    this.conf = conf;
    this.proc = null;
  }

  // adminPort: 0 (the configuration's: any free port), or the port to reuse.
  async start(adminPort = 0) {
    const from = fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
    const fd = fs.openSync(logPath, "a");
    this.proc = spawn(
      omsdBin,
      ["--config", this.conf, "--port", "0", "--admin-port", String(adminPort),
       "--data-dir", path.join(work, "data"), "--durability", "os"],
      { stdio: ["ignore", "ignore", fd] }
    );
    fs.closeSync(fd);
    children.add(this.proc);
    const proc = this.proc;
    let exited = false;
    proc.on("exit", () => (exited = true));
    const ports = await until("omsd to listen (FIX and admin)", () => {
      if (exited) throw new Error("omsd exited at start");
      const text = fs.readFileSync(logPath, "utf8").slice(from);
      const fix = /msg=listening .*?port=(\d+)/.exec(text);
      const admin = /admin listening.*?port=(\d+)/.exec(text);
      return fix && admin ? { fix: Number(fix[1]), admin: Number(admin[1]) } : null;
    });
    this.fixPort = ports.fix;
    this.adminPort = ports.admin;
    return ports;
  }

  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once("exit", (code, sig) => r(code === null ? sig : code)));
    proc.kill("SIGTERM");
    const status = await Promise.race([done, sleep(10000).then(() => "timeout")]);
    children.delete(proc);
    if (status === "timeout") proc.kill("SIGKILL");
    check(status === 0, `omsd exits 0 on SIGTERM (got ${status})`);
  }
}

// ---- the FIX client --------------------------------------------------------------------

class FixClient {
  constructor(port, comp, password) {
    this.name = comp;
    this.msgs = [];
    this.closed = false;
    this.proc = spawn(fixBin, [String(port), comp, password], { stdio: ["pipe", "pipe", "inherit"] });
    children.add(this.proc);
    this.proc.on("exit", () => children.delete(this.proc));
    readline.createInterface({ input: this.proc.stdout }).on("line", (line) => this.onLine(line));
  }

  onLine(line) {
    if (line === "LOGON") this.loggedOn = true;
    else if (line === "CLOSED") this.closed = true;
    else if (line.startsWith("ERROR")) log(`${this.name}: ${line}`);
    else {
      const sp = line.indexOf(" ");
      const f = {};
      for (const kv of line.slice(sp + 1).split("|")) {
        const eq = kv.indexOf("=");
        if (eq > 0) f[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      this.msgs.push({ type: line.slice(0, sp), f, line });
    }
  }

  send(line) {
    this.proc.stdin.write(line + "\n");
  }

  waitFor(what, pred, ms = WAIT_MS) {
    return until(`${this.name}: ${what}`, () => this.msgs.find(pred), ms);
  }

  report(clordid, execType) {
    return this.waitFor(`ExecutionReport 150=${execType} for ${clordid}`, (m) =>
      m.type === "8" && m.f["11"] === clordid && m.f["150"] === execType);
  }

  async quit() {
    if (this.proc.exitCode === null && !this.closed) this.send("QUIT");
    await until(`${this.name} to exit`, () => this.proc.exitCode !== null, 5000).catch(() => this.proc.kill());
  }
}

// ---- the page --------------------------------------------------------------------------

const sel = (id) => `[data-testid="${id}"]`;

async function text(page, id) {
  return page.$eval(sel(id), (e) => e.textContent.trim()).catch(() => null);
}

// A failed wait says what it waited for (puppeteer's own message does not).
async function named(what, promise) {
  try {
    return await promise;
  } catch (e) {
    throw new Error(`${what}: ${e.message}`);
  }
}

// What the failure handler prints besides omsd's log: the page's state and
// the store's projection (the views the page's snapshot reads).
const diag = { page: null, admin: 0 };

async function waitText(page, id, want, ms = WAIT_MS) {
  await named(`${id} to read "${want}" (it reads "${await text(page, id)}" now)`, page.waitForFunction(
    (s, w) => {
      const e = document.querySelector(s);
      return e && e.textContent.trim() === w;
    },
    { timeout: ms, polling: 10 },
    sel(id),
    want
  ));
}

// The blotter re-renders a row whenever one of its events arrives, so the
// element a click found can be replaced before the click lands ("Node is
// detached from document"): the click is tried again on the element that
// replaced it, the same selector, for up to a second.
async function click(page, selector) {
  for (let i = 0; ; i++) {
    try {
      return await page.click(selector);
    } catch (e) {
      if (i >= 40 || !/detached|not clickable|not an Element/.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

async function confirm(page) {
  await page.waitForSelector(sel("confirm-dialog") + "[open]", { timeout: WAIT_MS });
  await click(page, sel("confirm-yes"));
  await page.waitForSelector(sel("confirm-dialog") + ":not([open])", { timeout: WAIT_MS });
}

async function rowOf(page, clordid, ms = WAIT_MS) {
  const h = await named(`the row of ${clordid}`,
    page.waitForSelector(`tr[data-client-order-id="${clordid}"]`, { timeout: ms, polling: 10 }));
  return Number(await h.evaluate((e) => e.dataset.orderId));
}

async function lastSeqShown(page) {
  const t = (await text(page, "last-seq")) || "";
  return Number(t.replace(/^seq /, "")) || 0;
}

async function api(port, p) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { Authorization: "Bearer " + TOKEN } });
  check(r.ok, `GET ${p} -> ${r.status}`);
  return r.json();
}

// Another process (Debian's sqlite3 shell) holds the write lock of the
// SQLite database at file until release(): the projector's commits wait.
async function holdWriteLock(file) {
  const sh = spawn("sqlite3", [file], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(sh);
  let out = "";
  sh.stdout.on("data", (d) => (out += d));
  sh.stdin.write(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await until("sqlite3 to take the projection's write lock", () => {
    if (sh.exitCode !== null) throw new Error("sqlite3 exited: " + out);
    return out.includes("locked");
  });
  return {
    async release() {
      sh.stdin.end("ROLLBACK;\n.quit\n");
      await until("sqlite3 to let the lock go", () => sh.exitCode !== null);
      children.delete(sh);
    },
  };
}

// On a failure, while the page and omsd are still up: the page's stream
// state and rows, and the projection's lag (the views its snapshot reads).
async function printDiagnostics() {
  try {
    if (diag.page) {
      const rows = await diag.page.$$eval("#orders-body tr", (rs) =>
        rs.map((r) => `${r.dataset.clientOrderId}:${r.children[3].textContent}`));
      console.error(`--- page: ${await text(diag.page, "conn-status")}, ${await text(diag.page, "last-seq")}, ` +
        `rows ${rows.join(" ")}`);
    }
    if (diag.admin) console.error("--- /healthz: " + JSON.stringify(await api(diag.admin, "/healthz")));
  } catch (x) {
    console.error("--- no diagnostics: " + x.message);
  }
}

// ---- the test --------------------------------------------------------------------------

async function main() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const omsd = new Omsd(baseConf);
  const ports = await omsd.start();
  diag.admin = ports.admin;
  log(`omsd up: FIX port ${ports.fix}, admin port ${ports.admin}`);
  const fix1 = new FixClient(ports.fix, "CLIENT1", "client1-secret");
  await until("CLIENT1 logon", () => fix1.loggedOn, WAIT_MS);

  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--user-data-dir=" + path.join(work, "chromium-profile"),
    ],
  });
  try {
    const page = await browser.newPage();
    diag.page = page;
    await page.setViewport({ width: 1440, height: 900 });
    const problems = [];
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource|net::ERR/.test(m.text())) problems.push("console: " + m.text());
    });
    let blockStream = false;
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      if (blockStream && r.url().includes("/v1/events")) r.abort("connectionrefused");
      else r.continue();
    });
    const base = `http://127.0.0.1:${ports.admin}`;

    // 1. The token.
    await page.goto(base + "/", { waitUntil: "domcontentloaded" });
    await page.waitForSelector(sel("token-dialog") + "[open]", { timeout: WAIT_MS });
    await page.type(sel("token-input"), "not-a-token");
    await click(page, sel("token-submit"));
    await page.waitForSelector(sel("token-error") + ":not([hidden])", { timeout: WAIT_MS });
    const refusal = await text(page, "token-error");
    check(/refused/i.test(refusal), `a refused token is said so (got "${refusal}")`);
    log(`wrong token: "${refusal}"`);
    await page.$eval(sel("token-input"), (e) => (e.value = ""));
    await page.type(sel("token-input"), TOKEN);
    await click(page, sel("token-submit"));
    await waitText(page, "conn-status", "live");
    await waitText(page, "global-state", "ACTIVE");
    log("signed in, stream live");

    // 2. A FIX order appears within a second.
    const t0 = Date.now();
    fix1.send("NEW B1 BTC-USD BUY 0.01 60000");
    const id1 = await rowOf(page, "B1");
    const shownMs = Date.now() - t0;
    log(`order B1 (id ${id1}) in the blotter ${shownMs} ms after the FIX client sent it`);
    check(shownMs < 1000, `the order appears within 1 s (took ${shownMs} ms)`);
    await fix1.report("B1", "0");
    await waitText(page, "order-state-" + id1, "ACCEPTED");

    // 3. Cancel from the blotter.
    await click(page, sel("cancel-" + id1));
    const question = await page.$eval(sel("confirm-message"), (e) => e.textContent);
    check(question.includes(String(id1)), "the confirmation names the order");
    await confirm(page);
    await waitText(page, "order-state-" + id1, "CANCELLED");
    const er = await fix1.report("B1", "4");
    log(`B1 CANCELLED in the blotter; FIX client got ${er.line.slice(0, 120)}...`);
    await click(page, `${sel("order-row-" + id1)} td:nth-child(3)`);
    const trailRows = sel("detail-events") + " tbody tr";
    await page.waitForFunction(
      (s) => [...document.querySelectorAll(s)].some((r) => r.children[2].title === "OrderCancelled"),
      { timeout: WAIT_MS },
      trailRows
    );
    const trail = await page.$$eval(trailRows, (rows) => rows.map((r) => r.children[2].title));
    log(`audit trail of ${id1}: ${trail.join(", ")}`);
    check(trail.length >= 3, "the audit trail lists the order's events");

    // 4. HALT refuses the next FIX order; RESUME.
    await page.select(sel("ts-scope"), "GLOBAL");
    await click(page, sel("halt"));
    await confirm(page);
    await waitText(page, "global-state", "HALTED");
    fix1.send("NEW B2 BTC-USD BUY 0.01 60000");
    const rej = await fix1.waitFor("a reject of B2", (m) =>
      (m.type === "8" && m.f["11"] === "B2" && (m.f["150"] === "8" || m.f["39"] === "8")) ||
      (m.type === "j" && m.f["379"] === "B2"));
    log(`HALTED: B2 refused over FIX: ${rej.f["58"] || rej.line}`);
    check(!fix1.msgs.some((m) => m.type === "8" && m.f["11"] === "B2" && m.f["150"] === "0"), "B2 never accepted");
    await click(page, sel("resume"));
    await confirm(page);
    await waitText(page, "global-state", "ACTIVE");
    log("RESUME: ACTIVE");
    // A notice comes and goes without moving the controls (as a banner in
    // the page's flow it once moved Apply from under a click). An error
    // notice stays until dismissed, so this does not race RESUME's, which
    // goes by itself after 4 s: an ACCOUNT state without the account's id.
    await page.select(sel("ts-scope"), "ACCOUNT");
    await page.$eval(sel("ts-id"), (e) => (e.value = ""));
    await click(page, sel("halt"));
    await page.waitForFunction((s) => /account id/.test(document.querySelector(s).textContent) &&
      !document.querySelector(s).hidden, { timeout: WAIT_MS }, sel("message"));
    const said = await text(page, "message");
    check(/account id/.test(said), `the blotter says what is missing (got "${said}")`);
    check(await page.$eval(sel("confirm-dialog"), (e) => !e.open), "nothing to confirm without the id");
    await page.select(sel("ts-scope"), "GLOBAL");
    const boxWith = await (await page.$(sel("apply-filters"))).boundingBox();
    await click(page, sel("message"));
    await page.waitForSelector(sel("message") + "[hidden]", { timeout: WAIT_MS });
    const boxWithout = await (await page.$(sel("apply-filters"))).boundingBox();
    check(boxWith.x === boxWithout.x && boxWith.y === boxWithout.y,
      `the notice does not move Apply (${boxWith.x},${boxWith.y} with it, ${boxWithout.x},${boxWithout.y} without)`);
    log(`notice "${said}" shown over the page and dismissed by a click; Apply stayed at ${boxWith.x},${boxWith.y}`);

    // Some trading for the picture: fills, a resting order.
    fix1.send("NEW F1 BTC-USD BUY 0.05 65500");
    fix1.send("NEW F2 ETH-USD SELL 1 3400");
    fix1.send("NEW R0 AAPL BUY 100 185");
    for (const c of ["F1", "F2", "R0"]) await rowOf(page, c);
    await fix1.report("R0", "0");

    // 5. omsd goes away and comes back while the page cannot reach the stream.
    const seqBefore = await lastSeqShown(page);
    blockStream = true;
    await omsd.stop();
    await until("CLIENT1 to see the connection end", () => fix1.closed, WAIT_MS);
    await page.waitForFunction((s) => document.querySelector(s).textContent.trim() !== "live", { timeout: WAIT_MS }, sel("conn-status"));
    log(`omsd stopped; page: "${await text(page, "conn-status")}" at seq ${seqBefore}`);
    const ports2 = await omsd.start(ports.admin);
    check(ports2.admin === ports.admin, "omsd restarts on the same admin port");
    const fix2 = new FixClient(ports2.fix, "CLIENT2", "client2-secret");
    await until("CLIENT2 logon", () => fix2.loggedOn, WAIT_MS);
    fix2.send("NEW C1 BTC-USD BUY 0.02 60000");
    fix2.send("NEW C2 ETH-USD SELL 0.5 3380");
    await fix2.report("C1", "0");
    await fix2.waitFor("C2 filled", (m) => m.type === "8" && m.f["11"] === "C2" && m.f["39"] === "2");
    check((await page.$('tr[data-client-order-id="C1"]')) === null, "nothing reaches the page while it is cut off");
    const missed = await api(ports.admin, `/v1/events?after=${seqBefore}&limit=1000`);
    const events = missed.events || [];
    check(events.length > 0, "events happened while the page was cut off");
    const finalState = new Map();
    for (const e of events) if (e.order && e.order.order_id) finalState.set(e.order.order_id, e.order.state);
    const lastSeq = events[events.length - 1].seq;
    log(`while cut off: ${events.length} events (seq ${seqBefore + 1}..${lastSeq}), ${finalState.size} orders`);

    blockStream = false;
    await waitText(page, "conn-status", "live");
    await until(`the page at seq ${lastSeq}`, async () => (await lastSeqShown(page)) >= lastSeq, WAIT_MS);
    for (const [id, state] of finalState) await waitText(page, "order-state-" + id, state);
    const ids = await page.$$eval("#orders-body tr", (rows) => rows.map((r) => r.dataset.orderId));
    check(new Set(ids).size === ids.length, "no order shown twice");
    log(`caught up without a reload: seq ${await lastSeqShown(page)}, ${finalState.size} orders in their final state`);

    // 6. Filters, and cancel-all in their scope: only ACC2's open orders go,
    // not ACC1's (placed through the API this time).
    const placed = await fetch(`${base}/v1/orders`, {
      method: "POST",
      headers: { Authorization: "Bearer " + TOKEN, "Content-Type": "application/json" },
      body: JSON.stringify({ client_order_id: "P1", account: "ACC1", symbol: "BTC-USD", side: "BUY",
        type: "LIMIT", qty: "0.01", price: "60000" }),
    });
    check(placed.status === 201, `POST /v1/orders -> 201 (got ${placed.status})`);
    const idP1 = await rowOf(page, "P1");
    await waitText(page, "order-state-" + idP1, "ACCEPTED");
    // The views stop moving: another process takes the projection's write
    // lock (the projector retries until it is released). G1 is placed and
    // acknowledged over FIX, so it is journaled and its events are in omsd's
    // live ring, but the views, which the filter's snapshot reads, lack it.
    const lock = await holdWriteLock(path.join(work, "data", "oms.db"));
    fix2.send("NEW G1 BTC-USD BUY 0.01 60000");
    await fix2.report("G1", "0");
    const view = await api(ports.admin, "/v1/orders?account=ACC2&limit=1000");
    check(!(view.orders || []).some((o) => o.client_order_id === "G1"), "the views lag: G1 is not in them");
    log(`views held at seq ${view.as_of_seq} (G1 acknowledged over FIX, not in the views)`);
    await page.type(sel("filter-account"), "ACC2");
    await click(page, sel("apply-filters"));
    await named("only ACC2's rows after the filter", page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll("#orders-body tr")];
        return rows.length > 0 && rows.every((r) => r.children[3].textContent === "ACC2");
      },
      { timeout: WAIT_MS }
    ));
    const idG1 = await rowOf(page, "G1");
    await waitText(page, "order-state-" + idG1, "ACCEPTED");
    const still = await api(ports.admin, "/v1/orders?account=ACC2&limit=1000");
    check(!(still.orders || []).some((o) => o.client_order_id === "G1"), "the views still lacked G1");
    log(`fresh start with the views behind: G1 (id ${idG1}) shown ACCEPTED, from the stream after seq ${view.as_of_seq}`);
    await lock.release();
    await click(page, sel("cancel-all"));
    const scope = await page.$eval(sel("confirm-message"), (e) => e.textContent);
    check(scope.includes("account=ACC2"), `cancel-all names its scope (got "${scope}")`);
    await confirm(page);
    const idC1 = await rowOf(page, "C1");
    await waitText(page, "order-state-" + idC1, "CANCELLED");
    await waitText(page, "order-state-" + idG1, "CANCELLED");
    await fix2.report("C1", "4");
    await click(page, sel("clear-filters"));
    await waitText(page, "order-state-" + id1, "CANCELLED");
    check((await text(page, "order-state-" + idP1)) === "ACCEPTED", "ACC1's order outside the scope stays");
    log("filtered on ACC2, cancel-all cancelled C1, not ACC1's P1");

    // 7. A TWAP parent submitted through the API: the Parents tab shows it
    // working to the end with its progress, and its children under it.
    const endNs = (BigInt(Date.now()) + 2000n) * 1000000n;
    const sent = await fetch(`${base}/v1/parents`, {
      method: "POST",
      headers: { Authorization: "Bearer " + TOKEN, "Content-Type": "application/json" },
      body: `{"client_order_id":"T1","account":"ACC1","symbol":"BTC-USD","side":"BUY","qty":"0.02",` +
        `"price":"70000","algo":"TWAP","params":{"end_ns":${endNs},"slice_ns":500000000,"aggression":"CROSS"}}`,
    });
    check(sent.status === 201, `POST /v1/parents -> 201 (got ${sent.status})`);
    const idT = (await sent.json()).order.order_id;
    await click(page, sel("tab-parents"));
    await page.waitForSelector(sel("parent-row-" + idT), { timeout: WAIT_MS });
    await waitText(page, "parent-status-" + idT, "COMPLETED");
    const progress = await text(page, "parent-progress-" + idT);
    check(progress === "100%", `the finished TWAP shows 100% (got "${progress}")`);
    await click(page, sel("expand-" + idT));
    const kids = await until("the TWAP's children under it", async () => {
      const rows = await page.$$eval(`tr.child-row[data-parent-id="${idT}"]`, (r) => r.map((e) => ({
        id: e.dataset.orderId, state: e.children[14].textContent })));
      return rows.length > 0 ? rows : null;
    }, WAIT_MS);
    const shownKids = await page.$eval(sel("parent-row-" + idT), (r) => Number(r.children[12].textContent));
    check(kids.length === shownKids, `every child listed under its parent (${kids.length} of ${shownKids})`);
    check(kids.every((k) => k.state === "FILLED"), "the children are filled: " + JSON.stringify(kids));
    for (const k of kids) {
      const inOrders = await page.$(`#orders-body tr[data-order-id="${k.id}"][data-parent-id="${idT}"]`);
      check(inOrders !== null, `child ${k.id} is in the orders table, marked with its parent`);
    }
    log(`TWAP parent ${idT}: COMPLETED, ${progress}, ${kids.length} children shown under it`);
    await page.screenshot({ path: path.join(work, "blotter-parents.png") });

    // The picture: an order with fills selected, positions shown.
    const idF1 = await rowOf(page, "F1");
    await click(page, `${sel("order-row-" + idF1)} td:nth-child(3)`);
    await page.waitForFunction((s) => document.querySelectorAll(s).length > 0, { timeout: WAIT_MS }, sel("detail-fills") + " tbody tr");
    await click(page, sel("tab-positions"));
    await sleep(500);
    await page.screenshot({ path: path.join(work, "blotter.png") });
    check(problems.length === 0, "no script errors in the page: " + problems.join("; "));
    await fix2.quit();
    await fix1.quit();
  } catch (e) {
    const pages = await browser.pages();
    if (pages.length) await pages[pages.length - 1].screenshot({ path: path.join(work, "failure.png") }).catch(() => {});
    await printDiagnostics();
    throw e;
  } finally {
    await browser.close();
    await omsd.stop().catch(() => {});
  }
}

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
}
process.on("exit", cleanup);
process.on("SIGTERM", () => process.exit(1));

main().then(
  () => {
    log("blotter: ok");
    process.exit(0);
  },
  (e) => {
    console.error("FAIL:", e.message);
    try {
      const lines = fs.readFileSync(logPath, "utf8").trim().split("\n");
      console.error("--- omsd log (last 40 lines)\n" + lines.slice(-40).join("\n"));
    } catch (_) {}
    process.exit(1);
  }
);
