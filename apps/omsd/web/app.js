/*
 * app.js - the blotter's logic: plain JavaScript, no framework, no build step.
 *
 * HOW IT IS FED
 *   - The token the user types is kept in sessionStorage (this tab only) and
 *     sent as "Authorization: Bearer" on every fetch; a 401 brings the prompt
 *     back saying the token was refused.
 *   - Orders: GET /v1/orders with the filters (paged by after_id) gives a
 *     snapshot; the event stream (EventSource on /v1/events/stream, which
 *     takes the token as ?access_token= because EventSource cannot send
 *     headers) keeps it live: every order event carries the whole order.
 *   - No gap at start: the snapshot's first page says which events it
 *     reflects (as_of_seq: every event up to it); the stream is opened after
 *     the snapshot with ?after=<that seq>, so it brings every change since,
 *     however far the store's views lagged the live events. An event the
 *     snapshot may already reflect (its seq is not above the as_of_seq of a
 *     read made after the last page) is applied unless the snapshot's order
 *     is newer (updated_ns).
 *   - No gap on a reconnect: the page remembers the last sequence number it
 *     applied and reopens the stream with ?after=<that seq>; the server sends
 *     everything after it (from its ring or from the store) exactly once.
 *     Views that are not event-sourced (positions, risk, sessions) are
 *     re-fetched after a reconnect, after the events that change them, and
 *     every few seconds while their tab is shown.
 *   - Parents (the Parents tab): GET /v1/parents?order=desc, the newest
 *     first, with their progress; a click on one shows its children (GET
 *     /v1/parents/{id}). Re-fetched like the other views: while the tab is
 *     shown, every few seconds and after an event of a parent or a child.
 *   - Actions (cancel, cancel-all, trading states) each go through a
 *     confirmation dialog and then the API; the result shows up through the
 *     stream like any other change.
 */
"use strict";

(() => {
  const TOKEN_KEY = "oms.blotter.token";
  const TERMINAL = new Set(["FILLED", "CANCELLED", "REJECTED", "EXPIRED"]);
  const PENDING = new Set(["PENDING_CANCEL", "PENDING_REPLACE"]);
  const MAX_ORDERS = 20000; /* kept in memory */
  const MAX_ROWS = 500; /* rendered */
  const MAX_EVENTS = 200; /* in the Events tab */
  const POLL_MS = 3000;
  const MAX_PARENTS = 200; /* the newest, in the Parents tab */
  const MAX_CHILDREN = 100; /* under an expanded parent */
  const SCOPE_KINDS = ["GLOBAL", "ACCOUNT", "STRATEGY", "SYMBOL"]; /* event scope_kind */
  const TS_NAMES = ["ACTIVE", "REDUCE_ONLY", "HALTED"]; /* event old_state/new_state */

  const $ = (id) => document.getElementById(id);
  const st = {
    token: sessionStorage.getItem(TOKEN_KEY) || "",
    orders: new Map(), /* order_id -> order */
    filters: { state: "", account: "", symbol: "", strategy: "", venue: "" },
    lastSeq: 0,
    es: null,
    guardSeq: 0, /* events up to this seq may be older than the snapshot's orders */
    retryMs: 500,
    retryTimer: 0,
    selected: 0,
    tab: "positions",
    renderQueued: false,
    detailTimer: 0,
    viewTimer: 0,
    events: [],
    parents: [], /* the newest parents, as GET /v1/parents?order=desc gives them */
    expanded: new Set(), /* parent ids whose children are shown */
    children: new Map(), /* parent id -> its children (orders) */
    generation: 0, /* bumps on every (re)start: stale async work is dropped */
  };

  /* ---- small helpers ---------------------------------------------------------------- */

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function td(text, cls) {
    return el("td", { class: cls, text: text === undefined || text === null ? "" : String(text) });
  }

  function fmtTime(ns) {
    if (!ns) return "";
    const d = new Date(Number(ns) / 1e6);
    return d.toISOString().slice(11, 23);
  }

  function fmtDateTime(ns) {
    if (!ns) return "";
    return new Date(Number(ns) / 1e6).toISOString().replace("T", " ").slice(0, 23);
  }

  function signCls(v) {
    if (typeof v !== "string") return "num";
    return v.startsWith("-") ? "num neg" : /^0*\.?0*$/.test(v) ? "num" : "num pos";
  }

  function yesNo(b) {
    return el("td", { class: b ? "yes" : "no", text: b ? "yes" : "no" });
  }

  function kv(obj) {
    if (!obj) return "";
    return Object.entries(obj).map(([k, v]) => `${k}=${v}`).join("  ");
  }

  function say(text, kind) {
    const m = $("message");
    if (!text) {
      m.hidden = true;
      return;
    }
    m.textContent = text;
    m.className = "message " + (kind || "error");
    m.hidden = false;
    clearTimeout(say.timer);
    if (kind === "info") say.timer = setTimeout(() => (m.hidden = true), 4000);
  }

  /* ---- the API ---------------------------------------------------------------------- */

  class ApiError extends Error {
    constructor(status, code, message, body) {
      super(message);
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const opts = { method, headers: { Authorization: "Bearer " + st.token }, cache: "no-store" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError(0, "NETWORK", "omsd cannot be reached (" + e.message + ")");
    }
    let json = null;
    try {
      json = await res.json();
    } catch (e) {
      json = null;
    }
    if (!res.ok) {
      const err = (json && json.error) || {};
      const code = err.code || "HTTP_" + res.status;
      let msg = err.message || res.statusText;
      if (json && json.reason) msg += " (" + json.reason + (json.check ? ", " + json.check : "") + ")";
      if (res.status === 401) askToken("The token was refused: " + msg);
      throw new ApiError(res.status, code, msg, json);
    }
    return json;
  }

  function explain(e) {
    return e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
  }

  /* ---- the token -------------------------------------------------------------------- */

  function askToken(why) {
    stopStream();
    setConn("offline", "signed out");
    const d = $("token-dialog");
    const err = $("token-error");
    err.textContent = why || "";
    err.hidden = !why;
    $("token-input").value = "";
    if (!d.open) d.showModal();
    $("token-input").focus();
  }

  async function onTokenSubmit(ev) {
    ev.preventDefault();
    const tok = $("token-input").value.trim();
    if (!tok) return;
    st.token = tok;
    /* Checked against a cheap authenticated read before it is kept. */
    try {
      await api("GET", "/v1/orders?limit=1");
    } catch (e) {
      const err = $("token-error");
      err.textContent =
        e.status === 401 ? "The token was refused: " + e.message : "Cannot check the token: " + explain(e);
      err.hidden = false;
      st.token = "";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, tok);
    $("token-dialog").close();
    start();
  }

  function logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    st.token = "";
    st.orders.clear();
    render();
    askToken("");
  }

  /* ---- the stream ------------------------------------------------------------------- */

  function setConn(state, text) {
    $("conn-dot").dataset.state = state;
    $("conn-text").textContent = text || state;
    $("last-seq").textContent = st.lastSeq ? "seq " + st.lastSeq : "";
  }

  function stopStream() {
    clearTimeout(st.retryTimer);
    if (st.es) {
      st.es.close();
      st.es = null;
    }
  }

  /* A fresh start (sign-in, new filters): the snapshot, then the stream from
   * the seq it is as of (loadSnapshot). */
  function start() {
    st.generation++;
    stopStream();
    st.orders.clear();
    st.lastSeq = 0;
    st.guardSeq = 0;
    render();
    setConn("connecting");
    loadSnapshot(st.generation);
    refreshViews();
  }

  /* after: resume after that seq (what the snapshot or the page has
   * applied), or null: live from the next event. */
  function openStream(after, first) {
    const gen = st.generation;
    let url = "/v1/events/stream?access_token=" + encodeURIComponent(st.token);
    if (after !== null) url += "&after=" + after;
    setConn(first ? "connecting" : "reconnecting");
    const es = new EventSource(url);
    st.es = es;
    es.onopen = () => {
      if (gen !== st.generation) return;
      st.retryMs = 500;
      setConn("live");
      if (!first) refreshViews();
    };
    es.onmessage = (m) => onStreamMessage(m, gen);
    /* Named events (event: OrderAccepted, ...) do not reach onmessage. */
    for (const t of EVENT_TYPES) es.addEventListener(t, (m) => onStreamMessage(m, gen));
    es.onerror = () => {
      if (gen !== st.generation || st.es !== es) return;
      /* Our own reconnect, so that it resumes with ?after= from what was applied. */
      es.close();
      st.es = null;
      setConn("reconnecting", "reconnecting…");
      st.retryTimer = setTimeout(() => reconnect(gen), st.retryMs);
      st.retryMs = Math.min(st.retryMs * 2, 5000);
    };
  }

  async function reconnect(gen) {
    if (gen !== st.generation) return;
    /* Tell a refused token (prompt again) from a daemon that is away (retry),
     * and check that omsd still has the last event applied here. */
    let probe;
    try {
      probe = await api("GET", "/v1/events?limit=1&after=" + Math.max(st.lastSeq - 1, 0));
    } catch (e) {
      if (e.status === 401) return;
      if (gen !== st.generation) return;
      setConn("offline", "offline: retrying");
      st.retryTimer = setTimeout(() => reconnect(gen), st.retryMs);
      st.retryMs = Math.min(st.retryMs * 2, 5000);
      return;
    }
    if (gen !== st.generation) return;
    /* Never got an event yet, or omsd's history is not the one seen here (a
     * new data directory): a fresh start is the only gap-free resume. */
    const first = (probe.events || [])[0];
    if (st.lastSeq === 0) start();
    else if (!first || first.seq !== st.lastSeq) {
      say("omsd's event history changed (a new data directory?): the orders were reloaded.", "info");
      start();
    } else openStream(st.lastSeq, false);
  }

  const EVENT_TYPES = [
    "OrderSubmitted", "OrderAccepted", "OrderPartiallyFilled", "OrderFilled", "OrderCancelled",
    "OrderRejected", "OrderPendingCancel", "OrderPendingReplace", "OrderReplaced",
    "OrderCancelRejected", "OrderReplaceRejected", "OrderExpired", "OrderTriggered",
    "OrderDenied", "TradingStateChanged", "Alarm", "OrderFillBusted", "OrderFillCorrected",
    "OrderRestated", "BestExecution", "RiskReport",
  ];

  function onStreamMessage(m, gen) {
    if (gen !== st.generation) return;
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch (e) {
      return;
    }
    /* The JSON's seq, not lastEventId: a transient event (seq 0, no id line)
     * inherits the previous event's lastEventId. */
    const seq = Number(ev.seq || 0);
    if (seq > 0 && seq <= st.lastSeq) return; /* already applied */
    applyEvent(ev, seq > 0 && seq <= st.guardSeq);
    if (seq > 0) st.lastSeq = seq;
    $("last-seq").textContent = "seq " + st.lastSeq;
  }

  /* ---- orders ----------------------------------------------------------------------- */

  function filterQuery() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(st.filters)) if (v) q.set(k, v);
    return q;
  }

  function matches(o) {
    const f = st.filters;
    if (f.account && o.account_id !== f.account) return false;
    if (f.symbol && o.symbol !== f.symbol) return false;
    if (f.strategy && o.strategy_id !== f.strategy) return false;
    if (f.venue && o.venue !== f.venue) return false;
    if (f.state === "open") return !TERMINAL.has(o.state);
    if (f.state === "terminal") return TERMINAL.has(o.state);
    if (f.state) return o.state === f.state;
    return true;
  }

  /* The snapshot in pages, then the stream from the first page's as_of_seq.
   * The views only move forward, so a read after the last page bounds what
   * the pages can reflect: events above its as_of_seq are newer than all of
   * them; those up to it are applied only over an older order. */
  async function loadSnapshot(gen) {
    const q = filterQuery();
    q.set("limit", "1000");
    let after = 0;
    let asOf = null;
    try {
      for (;;) {
        if (after) q.set("after_id", String(after));
        const page = await api("GET", "/v1/orders?" + q.toString());
        if (gen !== st.generation) return;
        if (asOf === null) asOf = Number(page.as_of_seq || 0);
        for (const o of page.orders || []) st.orders.set(o.order_id, o);
        if (page.next_after_id === null || page.next_after_id === undefined) break;
        if (st.orders.size >= MAX_ORDERS) break;
        after = page.next_after_id;
      }
      const bound = await api("GET", "/v1/orders?limit=1");
      if (gen !== st.generation) return;
      st.guardSeq = Number(bound.as_of_seq || 0);
    } catch (e) {
      if (gen !== st.generation) return;
      say("Cannot load the orders: " + explain(e));
      st.guardSeq = Number.MAX_SAFE_INTEGER;
    }
    if (gen !== st.generation) return;
    render();
    st.lastSeq = asOf === null ? 0 : asOf;
    openStream(asOf, true);
  }

  /* guarded: the event may be older than the snapshot it is applied over. */
  function applyEvent(ev, guarded) {
    addToLog(ev);
    const o = ev.order;
    if (o && o.order_id) {
      const cur = st.orders.get(o.order_id);
      if (cur && guarded && Number(o.updated_ns) < Number(cur.updated_ns)) return;
      if (cur || matches(o)) {
        o._flash = true;
        st.orders.set(o.order_id, o);
        queueRender();
        if (o.order_id === st.selected) queueDetail();
      }
    }
    if (ev.type === "TradingStateChanged") queueViews(0);
    else if (ev.fill) queueViews(250);
    else if (o && (o.algo || o.parent_order_id) && st.tab === "parents") queueViews(250);
  }

  function queueRender() {
    if (st.renderQueued) return;
    st.renderQueued = true;
    requestAnimationFrame(() => {
      st.renderQueued = false;
      render();
    });
  }

  function cancellable(o) {
    return !TERMINAL.has(o.state) && !PENDING.has(o.state) && o.state !== "PENDING";
  }

  function orderRow(o) {
    const id = o.order_id;
    const cancel = el("button", {
      class: "btn small danger",
      "data-testid": "cancel-" + id,
      "aria-label": "Cancel order " + id,
      disabled: !cancellable(o),
      onclick: (e) => {
        e.stopPropagation();
        cancelOrder(o);
      },
      text: "Cancel",
    });
    const tr = el(
      "tr",
      {
        "data-testid": "order-row-" + id,
        "data-order-id": id,
        "data-client-order-id": o.client_order_id,
        "data-parent-id": o.parent_order_id || undefined,
        title: o.parent_order_id ? `child ${o.child_seq} of parent ${o.parent_order_id}` : undefined,
        class: (id === st.selected ? "selected " : "") + (o._flash ? "flash" : ""),
        tabindex: "0",
        onclick: () => select(id),
        onkeydown: (e) => {
          if (e.key === "Enter") select(id);
        },
      },
      td(id, "num"),
      td(fmtTime(o.created_ns)),
      td(o.client_order_id),
      td(o.account_id),
      td(o.strategy_id),
      td(o.symbol),
      td(o.venue),
      td(o.side, "side-" + o.side),
      td(o.type),
      td(o.qty, "num"),
      td(o.type === "MARKET" ? "" : o.price, "num"),
      td(o.filled_qty, "num"),
      td(o.avg_px, "num"),
      td(o.leaves_qty, "num"),
      el("td", {
        class: "st st-" + o.state,
        "data-testid": "order-state-" + id,
        title: o.reject_reason || "",
        text: o.state,
      }),
      el("td", {}, cancel)
    );
    o._flash = false;
    return tr;
  }

  function render() {
    const body = $("orders-body");
    const all = [...st.orders.values()].sort((a, b) => b.order_id - a.order_id);
    const shown = all.slice(0, MAX_ROWS);
    body.replaceChildren(...shown.map(orderRow));
    const open = all.filter((o) => !TERMINAL.has(o.state)).length;
    $("order-count").textContent =
      `${all.length} orders, ${open} open` + (all.length > MAX_ROWS ? ` (newest ${MAX_ROWS} shown)` : "");
  }

  /* ---- the detail ------------------------------------------------------------------- */

  function select(id) {
    st.selected = id;
    queueRender();
    loadDetail();
  }

  function queueDetail() {
    clearTimeout(st.detailTimer);
    st.detailTimer = setTimeout(loadDetail, 150);
  }

  async function loadDetail() {
    const id = st.selected;
    if (!id) return;
    let d;
    try {
      d = await api("GET", "/v1/orders/" + id);
    } catch (e) {
      say("Cannot load order " + id + ": " + explain(e));
      return;
    }
    if (id !== st.selected) return;
    const o = d.order;
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("detail-title").textContent = `Order ${o.order_id} · ${o.side} ${o.qty} ${o.symbol}`;
    const fields = [
      ["State", o.state], ["ClOrdID", o.client_order_id], ["Account", o.account_id],
      ["Strategy", o.strategy_id], ["Venue", o.venue], ["Venue order", o.venue_order_id],
      ["Type / TIF", `${o.type} / ${o.tif}`], ["Qty", o.qty], ["Price", o.price],
      ["Stop", o.stop_price], ["Filled", o.filled_qty], ["Leaves", o.leaves_qty],
      ["Avg px", o.avg_px], ["Created", fmtDateTime(o.created_ns)],
      ["Updated", fmtDateTime(o.updated_ns)],
    ];
    if (o.reject_code) fields.push(["Rejected", `${o.reject_code}: ${o.reject_reason || ""}`]);
    if (o.metadata) fields.push(["Metadata", o.metadata]);
    $("detail-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v || "" })]));
    $("detail-events").replaceChildren(
      ...(d.events || []).map((e) =>
        el("tr", {}, td(e.seq, "num"), td(fmtTime(e.event_ns)),
          el("td", { title: e.type, text: e.type.replace(/^Order(?=[A-Z])/, "") }),
          td(e.order ? e.order.state : "", e.order ? "st st-" + e.order.state : ""),
          td([e.fill ? `${e.fill.qty} @ ${e.fill.price}` : "", e.reason, e.check, e.text].filter(Boolean).join(" · ")))
      )
    );
    $("detail-fills").replaceChildren(
      ...(d.fills || []).map((f) =>
        el("tr", {}, td(f.exec_id), td(fmtTime(f.event_ns)), td(f.qty, "num"), td(f.price, "num"),
          td(f.fee, "num"), td(f.liquidity || ""))
      )
    );
  }

  /* ---- actions ---------------------------------------------------------------------- */

  function confirmAction(text) {
    const d = $("confirm-dialog");
    $("confirm-message").textContent = text;
    d.returnValue = "";
    return new Promise((resolve) => {
      d.addEventListener("close", () => resolve(d.returnValue === "yes"), { once: true });
      d.showModal();
      $("confirm-yes").focus();
    });
  }

  async function cancelOrder(o) {
    const ok = await confirmAction(
      `Cancel order ${o.order_id} (${o.client_order_id}): ${o.side} ${o.leaves_qty} ${o.symbol} @ ${o.price}, account ${o.account_id}?`
    );
    if (!ok) return;
    try {
      await api("DELETE", "/v1/orders/" + o.order_id);
      say(`Cancel of order ${o.order_id} sent.`, "info");
    } catch (e) {
      say(`Order ${o.order_id} was not cancelled: ${explain(e)}`);
    }
  }

  async function cancelAll() {
    const scope = {};
    for (const k of ["account", "strategy", "symbol", "venue"]) if (st.filters[k]) scope[k] = st.filters[k];
    const what = Object.keys(scope).length ? kv(scope) : "EVERY account, strategy, symbol and venue";
    if (!(await confirmAction(`Cancel all open orders of ${what}?`))) return;
    try {
      const r = await api("POST", "/v1/orders/cancel-all", scope);
      say(`Cancel sent for ${r.cancelled} order(s).`, "info");
    } catch (e) {
      say("Cancel-all failed: " + explain(e));
    }
  }

  async function setTradingState(state) {
    const scope = $("ts-scope").value;
    const id = $("ts-id").value.trim();
    if (scope !== "GLOBAL" && !id) {
      say(`Give the ${scope.toLowerCase()} id: the ${scope} scope needs one.`);
      return;
    }
    const where = scope === "GLOBAL" ? "everything (GLOBAL)" : `${scope} ${id}`;
    const effect = {
      HALTED: "new orders and modifies will be refused; cancels still allowed",
      REDUCE_ONLY: "only orders that reduce a position will be accepted",
      ACTIVE: "trading resumes normally",
    }[state];
    if (!(await confirmAction(`Set ${where} to ${state}: ${effect}?`))) return;
    const body = { scope, state, reason: "set from the blotter" };
    if (scope !== "GLOBAL") body.id = id;
    try {
      const r = await api("POST", "/v1/trading-state", body);
      say(`${where}: ${r.previous || "?"} -> ${r.state}`, "info");
    } catch (e) {
      say("Trading state not changed: " + explain(e));
    }
    refreshViews();
  }

  /* ---- positions, risk, sessions ---------------------------------------------------- */

  function queueViews(ms) {
    clearTimeout(st.viewTimer);
    st.viewTimer = setTimeout(refreshViews, ms);
  }

  async function refreshViews() {
    if (!st.token) return;
    const gen = st.generation;
    const jobs = [loadRisk(gen)]; /* always: it feeds the header's trading state */
    if (st.tab === "positions") jobs.push(loadPositions(gen));
    if (st.tab === "sessions") jobs.push(loadSessions(gen));
    if (st.tab === "parents") jobs.push(loadParents(gen));
    await Promise.allSettled(jobs);
  }

  async function loadPositions(gen) {
    let p;
    try {
      p = await api("GET", "/v1/positions");
    } catch (e) {
      return;
    }
    if (gen !== st.generation) return;
    $("accounts-body").replaceChildren(
      ...(p.accounts || []).map((a) =>
        el("tr", {}, td(a.account), td(a.cash, "num"), td(a.equity, "num"), td(a.realized_pnl, signCls(a.realized_pnl)),
          td(a.unrealized_pnl, signCls(a.unrealized_pnl)), td(a.daily_pnl, signCls(a.daily_pnl)))
      )
    );
    $("positions-body").replaceChildren(
      ...(p.positions || []).map((x) =>
        el("tr", {}, td(x.account), td(x.symbol), td(x.qty, signCls(x.qty)), td(x.avg_px, "num"), td(x.mark_px, "num"),
          td(x.realized_pnl, signCls(x.realized_pnl)), td(x.unrealized_pnl, signCls(x.unrealized_pnl)), td(x.fees, "num"))
      )
    );
  }

  async function loadRisk(gen) {
    let r;
    try {
      r = await api("GET", "/v1/risk");
    } catch (e) {
      return;
    }
    if (gen !== st.generation) return;
    const states = r.trading_states || [];
    const g = states.find((s) => s.scope === "GLOBAL");
    const badge = $("global-state");
    badge.textContent = g ? g.state : "?";
    badge.className = "badge " + (g ? g.state : "");
    $("states-body").replaceChildren(
      ...states.map((s) => el("tr", {}, td(s.scope), td(s.id), td(s.state, "st st-" + s.state)))
    );
    $("usage-body").replaceChildren(
      ...(r.usage || []).map((u) =>
        el("tr", {}, td(u.scope), td(u.id), td(u.open_orders, "num"), td(u.open_notional, "num"),
          td(u.daily_pnl, signCls(u.daily_pnl)), td(kv(u.limits)))
      )
    );
    $("limits-body").replaceChildren(
      ...(r.limits || []).map((l) => {
        const rest = Object.assign({}, l);
        delete rest.scope;
        delete rest.id;
        return el("tr", {}, td(l.scope), td(l.id), td(kv(rest)));
      })
    );
    $("changes-body").replaceChildren(
      ...(r.changes || []).slice(-50).reverse().map((c) =>
        el("tr", {}, td(c.seq, "num"), td(fmtDateTime(c.at_ns)), td(c.who), td(`${c.scope} ${c.id || ""}`),
          td(`${kv(c.old)} -> ${kv(c.new)}`), td(c.reason || ""))
      )
    );
  }

  async function loadSessions(gen) {
    let s;
    try {
      s = await api("GET", "/v1/sessions");
    } catch (e) {
      return;
    }
    if (gen !== st.generation) return;
    $("sessions-body").replaceChildren(
      ...(s.fix_sessions || []).map((x) =>
        el("tr", {}, td(x.sender_comp_id), td(x.target_comp_id), td(x.account), yesNo(x.connected), yesNo(x.logged_on),
          td(x.next_in, "num"), td(x.next_out, "num"), td(fmtTime(x.last_heartbeat_ns)),
          td(x.messages_in, "num"), td(x.messages_out, "num"))
      )
    );
    $("venues-body").replaceChildren(
      ...(s.venues || []).map((v) =>
        el("tr", {}, td(v.name), td(v.type), yesNo(v.connected), yesNo(v.reconciled), td(v.inflight, "num"),
          td(v.queue_depth, "num"),
          td(v.session ? `${v.session.sender_comp_id}->${v.session.target_comp_id} in ${v.session.next_in} out ${v.session.next_out}` : ""))
      )
    );
  }

  /* ---- parent orders ------------------------------------------------------------------ */

  /* Filled of qty as a percentage, from the decimal strings (display only). */
  function pctOf(p) {
    const q = Number(p.qty), f = Number(p.filled_qty);
    return q > 0 ? Math.min(100, Math.round((f / q) * 1000) / 10) : 0;
  }

  async function loadParents(gen) {
    let page;
    try {
      page = await api("GET", `/v1/parents?order=desc&limit=${MAX_PARENTS}`);
    } catch (e) {
      return;
    }
    if (gen !== st.generation) return;
    st.parents = page.parents || [];
    const more = $("parents-more");
    more.hidden = page.next_after_id === null || page.next_after_id === undefined;
    more.textContent = `the newest ${MAX_PARENTS} parents are shown (omsctl parents --all lists every one)`;
    await Promise.allSettled([...st.expanded].map((id) => loadChildren(id, gen)));
    if (gen === st.generation) renderParents();
  }

  async function loadChildren(id, gen) {
    let d;
    try {
      d = await api("GET", `/v1/parents/${id}?limit=${MAX_CHILDREN}`);
    } catch (e) {
      return;
    }
    if (gen !== st.generation) return;
    st.children.set(id, { orders: d.children || [], more: d.next_children_after_id !== null });
  }

  async function toggleParent(id) {
    if (st.expanded.has(id)) {
      st.expanded.delete(id);
    } else {
      st.expanded.add(id);
      await loadChildren(id, st.generation);
    }
    renderParents();
  }

  async function cancelParent(p) {
    const ok = await confirmAction(
      `Cancel parent ${p.parent_order_id} (${p.algo} ${p.side} ${p.leaves_qty} ${p.symbol}, account ${p.account}) and its open children?`
    );
    if (!ok) return;
    try {
      await api("DELETE", "/v1/parents/" + p.parent_order_id);
      say(`Cancel of parent ${p.parent_order_id} sent.`, "info");
    } catch (e) {
      say(`Parent ${p.parent_order_id} was not cancelled: ${explain(e)}`);
    }
    queueViews(250);
  }

  function parentRow(p) {
    const id = p.parent_order_id;
    const open = st.expanded.has(id);
    const pr = p.progress || {};
    const pct = pctOf(p);
    const done = TERMINAL.has(p.state) || PENDING.has(p.state);
    return el(
      "tr",
      { class: "parent-row", "data-testid": "parent-row-" + id, "data-parent-id": id, onclick: () => toggleParent(id) },
      el("td", {}, el("button", {
        class: "expander", "data-testid": "expand-" + id, "aria-expanded": String(open),
        "aria-label": (open ? "Hide" : "Show") + " the children of parent " + id, text: open ? "▾" : "▸",
      })),
      td(id, "num"),
      td(p.client_order_id),
      td(p.algo),
      td(p.account),
      td(p.symbol),
      td(p.side, "side-" + p.side),
      td(p.qty, "num"),
      td(p.filled_qty, "num"),
      td(p.avg_px, "num"),
      el("td", { "data-testid": "parent-progress-" + id, title: `${p.filled_qty} of ${p.qty} filled, ${p.open_qty} open` },
        el("span", { class: "bar" }, el("span", { style: `width: ${pct}%` })),
        el("span", { class: "pct", text: pct + "%" })),
      td(pr.slices ? `${pr.slices_done}/${pr.slices}` : ""),
      td(pr.children, "num"),
      el("td", { class: "st st-" + p.status, "data-testid": "parent-status-" + id, text: p.status }),
      el("td", { class: "st st-" + p.state, text: p.state }),
      el("td", {}, el("button", {
        class: "btn small danger", "data-testid": "cancel-parent-" + id, "aria-label": "Cancel parent " + id,
        disabled: done,
        onclick: (e) => {
          e.stopPropagation();
          cancelParent(p);
        },
        text: "Cancel",
      }))
    );
  }

  function childRow(parentId, o) {
    return el(
      "tr",
      { class: "child-row", "data-testid": "child-row-" + o.order_id, "data-parent-id": parentId, "data-order-id": o.order_id,
        onclick: () => select(o.order_id) },
      td(""),
      td(o.order_id, "num indent"),
      td(o.client_order_id),
      td("#" + o.child_seq),
      td(o.account_id),
      td(o.symbol),
      td(o.side, "side-" + o.side),
      td(o.qty, "num"),
      td(o.filled_qty, "num"),
      td(o.avg_px, "num"),
      td(o.type === "MARKET" ? "MARKET" : `${o.type} @ ${o.price}`),
      td(fmtTime(o.created_ns)),
      td(""),
      td(""),
      el("td", { class: "st st-" + o.state, text: o.state }),
      td("")
    );
  }

  function renderParents() {
    const rows = [];
    for (const p of st.parents) {
      rows.push(parentRow(p));
      if (!st.expanded.has(p.parent_order_id)) continue;
      const c = st.children.get(p.parent_order_id);
      if (!c) continue;
      if (c.orders.length === 0) rows.push(el("tr", { class: "child-row" }, el("td", { colspan: "16", class: "indent", text: "no children yet" })));
      for (const o of c.orders) rows.push(childRow(p.parent_order_id, o));
      if (c.more) rows.push(el("tr", { class: "child-row" }, el("td", { colspan: "16", class: "indent", text: `the first ${MAX_CHILDREN} children are shown` })));
    }
    $("parents-body").replaceChildren(...rows);
  }

  /* ---- the events tab --------------------------------------------------------------- */

  function eventDetail(ev) {
    const parts = [];
    if (ev.order) parts.push(`${ev.order.state} ${ev.order.side} ${ev.order.qty} ${ev.order.symbol}`);
    if (ev.fill) parts.push(`fill ${ev.fill.qty} @ ${ev.fill.price}`);
    if (ev.type === "TradingStateChanged") {
      parts.push(`${SCOPE_KINDS[ev.scope_kind] || ev.scope_kind} ${ev.scope_id || ""} ` +
        `${TS_NAMES[ev.old_state] || ev.old_state} -> ${TS_NAMES[ev.new_state] || ev.new_state}`);
    }
    if (ev.alarm) parts.push(`alarm ${ev.alarm}`);
    for (const k of ["reason", "check", "text"]) if (ev[k]) parts.push(ev[k]);
    return parts.join(" · ");
  }

  function addToLog(ev) {
    st.events.unshift(ev);
    if (st.events.length > MAX_EVENTS) st.events.length = MAX_EVENTS;
    if (st.tab === "events") queueEventsRender();
  }

  function queueEventsRender() {
    if (queueEventsRender.q) return;
    queueEventsRender.q = true;
    requestAnimationFrame(() => {
      queueEventsRender.q = false;
      $("events-body").replaceChildren(
        ...st.events.map((ev) =>
          el("tr", {}, td(ev.seq || "", "num"), td(fmtTime(ev.event_ns)), td(ev.type),
            td(ev.order ? ev.order.order_id || ev.order.client_order_id : ""), td(eventDetail(ev)))
        )
      );
    });
  }

  /* ---- wiring ----------------------------------------------------------------------- */

  function showTab(name) {
    st.tab = name;
    for (const t of ["positions", "risk", "sessions", "parents", "events"]) {
      $("tab-" + t).setAttribute("aria-selected", String(t === name));
      $("view-" + t).hidden = t !== name;
    }
    if (name === "events") queueEventsRender();
    else refreshViews();
  }

  function readFilters() {
    st.filters = {
      state: $("f-state").value,
      account: $("f-account").value.trim(),
      symbol: $("f-symbol").value.trim(),
      strategy: $("f-strategy").value.trim(),
      venue: $("f-venue").value.trim(),
    };
  }

  function init() {
    $("token-form").addEventListener("submit", onTokenSubmit);
    $("token-dialog").addEventListener("cancel", (e) => e.preventDefault()); /* no way around it */
    $("btn-logout").addEventListener("click", logout);
    $("message").addEventListener("click", () => say(""));
    $("btn-halt").addEventListener("click", () => setTradingState("HALTED"));
    $("btn-reduce").addEventListener("click", () => setTradingState("REDUCE_ONLY"));
    $("btn-resume").addEventListener("click", () => setTradingState("ACTIVE"));
    $("btn-cancel-all").addEventListener("click", cancelAll);
    const apply = () => {
      readFilters();
      start();
    };
    $("btn-apply").addEventListener("click", apply);
    $("f-state").addEventListener("change", apply);
    for (const id of ["f-account", "f-symbol", "f-strategy", "f-venue"])
      $(id).addEventListener("keydown", (e) => {
        if (e.key === "Enter") apply();
      });
    $("btn-clear").addEventListener("click", () => {
      for (const id of ["f-account", "f-symbol", "f-strategy", "f-venue"]) $(id).value = "";
      $("f-state").value = "";
      apply();
    });
    const tabs = ["positions", "risk", "sessions", "parents", "events"];
    for (const t of tabs) $("tab-" + t).addEventListener("click", () => showTab(t));
    document.querySelector('[role="tablist"]').addEventListener("keydown", (e) => {
      const i = tabs.indexOf(st.tab);
      if (e.key === "ArrowRight") showTab(tabs[(i + 1) % tabs.length]);
      else if (e.key === "ArrowLeft") showTab(tabs[(i + tabs.length - 1) % tabs.length]);
      else return;
      $("tab-" + st.tab).focus();
    });
    setInterval(() => {
      if (st.es && st.es.readyState === EventSource.OPEN && !document.hidden) refreshViews();
    }, POLL_MS);
    readFilters();
    if (st.token) start();
    else askToken("");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
