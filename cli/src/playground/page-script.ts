/**
 * The playground's browser script (plain ES2020, no template literals so it can live in this one).
 * It renders the conversation from the events of the playground's SSE stream:
 * - your bubble: ✓ when the gateway accepted the webhook, ✓✓ when the router got it, blue ✓✓
 *   when the bot marked it read (an `outbound.request` of type read); only yours have ticks, as
 *   on a phone, where you never see whether the business read your reply;
 * - the bot's bubble (an agent's reply names the agent): from `outbound.request`, its wamid from
 *   `outbound.result`, its delivery (kept in data-status, for a failure mark) from the simulator's
 *   status webhooks (`inbound.status`), which may arrive before the result;
 * - the chat: a flow picked (POST /chat opens a business number running it), a reset (a new
 *   number: a fresh conversation), and on reload the messages so far (GET /history); the choice
 *   of user, flow and chat is kept in localStorage.
 * - stage, route and flow from `conversation.routed` and `conversation.updated`.
 */
export const PLAYGROUND_SCRIPT = `
"use strict";
var base = location.pathname.replace(/\\/+$/, "");
// This run's token, from the link printed at start (#token=…): sent as a header on every call,
// never in a URL.
var auth = { "x-playground-token": new URLSearchParams(location.hash.slice(1)).get("token") || "" };
var $ = function (id) { return document.getElementById(id); };
var RANK = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };
var TICKS = { pending: "\\u{1F553}", sent: "\\u2713", delivered: "\\u2713\\u2713", read: "\\u2713\\u2713", failed: "!" };
var stream = null, from = "", name = "", flow = "", biz = "";
var SAVED = "flank.playground";
var flowNames = {};
var byKey = new Map(), byWamid = new Map(), early = new Map(), onAttach = new Map();

function setConn(text, ok) { var c = $("conn"); c.textContent = text; c.className = ok ? "conn" : "conn off"; }
function scrollDown() { var m = $("messages"); m.scrollTop = m.scrollHeight; }
function clock(ts) { var d = ts ? new Date(ts) : new Date(); return d.toTimeString().slice(0, 5); }

function setStatus(el, status, title) {
  var now = el.dataset.status || "pending";
  if (status !== "failed" && RANK[status] <= RANK[now]) return;
  el.dataset.status = status;
  var tick = el.querySelector(".tick");
  if (tick) tick.textContent = TICKS[status];
  if (title) el.title = title;
}
function save() {
  try { localStorage.setItem(SAVED, JSON.stringify({ from: from, name: name, flow: flow, biz: biz })); } catch (e) { /* private mode */ }
}
function saved() {
  try { return JSON.parse(localStorage.getItem(SAVED) || "{}") || {}; } catch (e) { return {}; }
}
function statusOf(wamid, status, title) {
  var el = byWamid.get(wamid);
  if (el) return setStatus(el, status, title);
  var seen = early.get(wamid);
  if (!seen || RANK[status] > RANK[seen]) early.set(wamid, status);
}
function attachWamid(el, wamid) {
  el.dataset.wamid = wamid;
  byWamid.set(wamid, el);
  var seen = early.get(wamid);
  if (seen) { early.delete(wamid); setStatus(el, seen); }
  (onAttach.get(wamid) || []).forEach(function (fn) { fn(el); });
  onAttach.delete(wamid);
}
/** Runs fn on the bubble of wamid, now or once the send that makes it has answered (events can come first). */
function withBubble(wamid, fn) {
  var el = byWamid.get(wamid);
  if (el) return fn(el);
  onAttach.set(wamid, (onAttach.get(wamid) || []).concat([fn]));
}

function bubble(side, text, ts) {
  var el = document.createElement("div");
  el.className = "msg " + side;
  el.dataset.status = "pending";
  var body = document.createElement("div");
  body.className = "body";
  body.textContent = text;
  var meta = document.createElement("div");
  meta.className = "meta";
  var time = document.createElement("span");
  time.textContent = clock(ts);
  var tick = document.createElement("span");
  tick.className = "tick";
  tick.textContent = TICKS.pending;
  meta.appendChild(time);
  // Ticks on your own messages only, as on a phone.
  if (side === "me") meta.appendChild(tick);
  el.appendChild(body);
  el.appendChild(meta);
  $("messages").appendChild(el);
  scrollDown();
  return el;
}
function note(text) {
  var el = document.createElement("div");
  el.className = "note";
  el.textContent = text;
  $("messages").appendChild(el);
  scrollDown();
}

function describe(m) {
  switch (m.type) {
    case "text": return m.body;
    case "buttons": case "list": case "cta_url": return m.body + (m.type === "cta_url" ? "\\n" + m.displayText + ": " + m.url : "");
    case "image": case "video": case "document": return "[" + m.type + "] " + (m.caption || m.filename || m.link || m.id || "");
    case "audio": case "sticker": return "[" + m.type + "]";
    case "location": return "[location] " + (m.name || (m.latitude + ", " + m.longitude));
    case "reaction": return m.emoji || "[reaction removed]";
    case "template": return "[template " + m.name + "]";
    default: return "[" + m.type + "]";
  }
}
function addButtons(el, m) {
  var items = m.type === "buttons" ? m.buttons : m.type === "list" ? [].concat.apply([], m.sections.map(function (s) { return s.rows; })) : [];
  if (!items.length) return;
  var box = document.createElement("div");
  box.className = "buttons";
  items.forEach(function (b) {
    var btn = document.createElement("button");
    btn.type = "button";
    btn.textContent = b.title;
    btn.onclick = function () {
      if (!el.dataset.wamid) return;
      send({ reply: { id: b.id, title: b.title.slice(0, 20), context: el.dataset.wamid } }, b.title);
    };
    box.appendChild(btn);
  });
  el.insertBefore(box, el.querySelector(".meta"));
}

var handlers = {
  "inbound.message": function (e) { statusOf(e.data.wamid, "delivered"); },
  "outbound.request": function (e) {
    var d = e.data, m = d.message;
    if (m.type === "read") {
      statusOf(m.messageId, "read");
      if (m.typing) $("typing").textContent = "typing\\u2026";
      return;
    }
    $("typing").textContent = "online";
    if (byKey.has(d.idempotencyKey)) return;
    var el = bubble("bot", describe(m), e.ts);
    if (d.source === "agent") {
      var who = document.createElement("div");
      who.className = "author";
      who.textContent = d.agentName || d.agentId || "agent";
      el.insertBefore(who, el.firstChild);
    }
    addButtons(el, m);
    byKey.set(d.idempotencyKey, el);
  },
  "outbound.result": function (e) {
    var d = e.data, el = byKey.get(d.idempotencyKey);
    if (!el) return;
    if (d.status === "sent" && d.wamid) attachWamid(el, d.wamid);
    else if (d.status === "failed" && d.final) setStatus(el, "failed", d.error ? d.error.code + ": " + (d.error.details || d.error.message || "") : "failed");
  },
  "inbound.status": function (e) {
    var err = e.data.errors && e.data.errors[0];
    statusOf(e.data.wamid, e.data.status, err ? err.code + ": " + (err.details || err.title || "") : "");
  },
  "conversation.routed": function (e) {
    var d = e.data;
    $("stage").textContent = d.stageAfter;
    $("route").textContent = d.route;
    $("flow").textContent = d.flowId || "–";
    $("reason").textContent = d.reason;
  },
  "conversation.updated": function (e) {
    var d = e.data;
    if (d.stage) $("stage").textContent = d.stage;
    if (d.route) $("route").textContent = d.route;
    if (d.change !== "stage") note(d.change + (d.route ? " \\u2192 " + d.route : "") + (d.agentId ? " (" + d.agentId + ")" : ""));
  }
};

function api(path, body) {
  var init = body === undefined ? { headers: auth } : { method: "POST", headers: Object.assign({ "content-type": "application/json" }, auth), body: JSON.stringify(body) };
  return fetch(base + path, init).then(function (res) {
    return res.json().then(function (b) { if (!res.ok) { var e = new Error(b.error || "HTTP " + res.status); e.status = res.status; throw e; } return b; });
  });
}

// A chat on the flow: its current one, or (fresh: the reset) a new business number running it.
function openChat(pick, fresh) {
  setConn(fresh ? "starting over\\u2026" : "opening the chat\\u2026", false);
  return api("/chat", { flow: pick, fresh: fresh }).then(function (chat) {
    flow = chat.flowId;
    biz = chat.biz;
    $("flow-pick").value = flow;
    connect();
  }).catch(function (err) { setConn(err.message, false); });
}

function connect() {
  from = $("from").value.trim();
  name = $("name").value.trim() || from;
  if (!/^\\d{6,15}$/.test(from)) { setConn("phone number: 6 to 15 digits", false); return; }
  if (!auth["x-playground-token"]) { setConn("open the playground link printed at start (it carries the token)", false); return; }
  if (!biz) return openChat(flow, false);
  if (stream) stream.abort();
  byKey.clear(); byWamid.clear(); early.clear(); onAttach.clear();
  $("messages").textContent = "";
  $("text").disabled = true;
  $("send").disabled = true;
  ["stage", "route", "flow", "reason"].forEach(function (id) { $(id).textContent = "\\u2013"; });
  $("business").textContent = "business number id " + biz;
  $("chat-title").textContent = flowNames[flow] || flow || "Flank bot";
  save();
  setConn("connecting\\u2026", false);
  var ctl = new AbortController();
  stream = ctl;
  // The messages so far first (a reload shows the chat as it was), then the live stream.
  api("/history?from=" + encodeURIComponent(from) + "&biz=" + encodeURIComponent(biz))
    .then(function (h) { if (stream === ctl) { showHistory(h); listen(ctl, from); } })
    .catch(function (err) {
      if (stream !== ctl) return;
      // A chat of an earlier run (the playground starts with none but the default one): open the flow's.
      if (err.status === 404) { biz = ""; openChat(flow, false); return; }
      setConn(err.message, false);
    });
}

function showHistory(h) {
  var c = h.conversation;
  if (c) {
    if (c.stage) $("stage").textContent = c.stage;
    $("route").textContent = c.route;
    $("flow").textContent = c.flowId || "\\u2013";
  }
  h.messages.forEach(function (m) {
    if (m.direction === "inbound") {
      var el = bubble("me", m.body || "[" + m.type + "]", m.timestamp);
      if (m.wamid) attachWamid(el, m.wamid);
      setStatus(el, m.status === "read" ? "read" : "delivered");
      return;
    }
    var req = m.request;
    if (!req || !req.message) return;
    if (req.message.type === "read") { statusOf(req.message.messageId, "read"); return; }
    handlers["outbound.request"]({ data: req, ts: m.timestamp });
    var bot = byKey.get(req.idempotencyKey);
    if (bot && m.wamid) attachWamid(bot, m.wamid);
    if (bot && m.status) setStatus(bot, m.status === "queued" ? "pending" : m.status);
  });
  $("typing").textContent = "online";
}

// Server-sent events read with fetch (EventSource cannot send the token header), reconnecting
// after a second when the stream ends or fails, until another user is chosen.
function listen(ctl, who) {
  fetch(base + "/events?from=" + encodeURIComponent(who) + "&biz=" + encodeURIComponent(biz), { headers: auth, signal: ctl.signal })
    .then(function (res) {
      if (!res.ok) return res.json().then(function (b) { throw new Error(b.error || "HTTP " + res.status); });
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) throw new Error("the event stream ended");
          buffer += decoder.decode(r.value, { stream: true });
          for (var end = buffer.indexOf("\\n\\n"); end >= 0; end = buffer.indexOf("\\n\\n")) {
            frame(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
          return pump();
        });
      }
      return pump();
    })
    .catch(function (err) {
      if (ctl.signal.aborted) return;
      setConn("reconnecting\\u2026 (" + err.message + ")", false);
      setTimeout(function () { if (stream === ctl) listen(ctl, who); }, 1000);
    });
}

function frame(text) {
  var type = "message", data = [];
  text.split("\\n").forEach(function (line) {
    if (line.indexOf("event:") === 0) type = line.slice(6).trim();
    else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
  });
  if (!data.length) return;
  if (type === "ready") {
    setConn("connected as +" + from, true);
    $("text").disabled = false;
    $("send").disabled = false;
    $("text").focus();
    return;
  }
  if (handlers[type]) handlers[type](JSON.parse(data.join("\\n")));
}

function send(payload, shown) {
  post("/send", payload, bubble("me", shown));
}
/** Posts what the user sent (with who and where) and marks its bubble sent, or failed. */
function post(path, payload, el) {
  payload.from = from;
  payload.name = name;
  payload.biz = biz;
  return fetch(base + path, { method: "POST", headers: Object.assign({ "content-type": "application/json" }, auth), body: JSON.stringify(payload) })
    .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
    .then(function (r) {
      if (!r.ok) return setStatus(el, "failed", JSON.stringify(r.body.error));
      setStatus(el, "sent");
      attachWamid(el, r.body.wamid);
    })
    .catch(function (err) { setStatus(el, "failed", String(err)); });
}

$("composer").addEventListener("submit", function (ev) {
  ev.preventDefault();
  var text = $("text").value.trim();
  if (!text || !stream) return;
  $("text").value = "";
  send({ text: text }, text);
});
$("start").addEventListener("click", connect);
$("reset").addEventListener("click", function () { if (flow) openChat(flow, true); });
$("flow-pick").addEventListener("change", function () { biz = ""; openChat($("flow-pick").value, false); });

var last = saved();
if (last.from) $("from").value = last.from;
if (last.name) $("name").value = last.name;
api("/info").then(function (info) {
  $("business").textContent = "business number id " + info.phoneNumberId;
  var list = $("simulated");
  (info.simulated.length ? info.simulated : ["nothing: every part is real"]).forEach(function (s) {
    var li = document.createElement("li");
    li.textContent = s;
    list.appendChild(li);
  });
  var pick = $("flow-pick");
  info.flows.forEach(function (f) {
    flowNames[f.id] = f.name || f.id;
    var opt = document.createElement("option");
    opt.value = f.id;
    opt.textContent = f.name ? f.name + " (" + f.id + ")" : f.id;
    pick.appendChild(opt);
  });
  var known = info.flows.some(function (f) { return f.id === last.flow; });
  flow = known ? last.flow : info.defaultFlow;
  biz = known && last.biz ? last.biz : "";
  pick.value = flow;
  // Until now a click could only have connected without a flow: the button waits for the flows.
  $("start").disabled = false;
  connect();
}).catch(function (err) { setConn(err.message, false); });
`;
