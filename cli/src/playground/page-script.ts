/**
 * The playground's browser script (plain ES2020, no template literals so it can live in this one).
 * It renders the conversation from the events of the playground's SSE stream:
 * - your bubble: ✓ when the gateway accepted the webhook, ✓✓ when the router got it, blue ✓✓
 *   when the bot marked it read (an `outbound.request` of type read);
 * - the bot's bubble (an agent's reply names the agent): from `outbound.request`, its wamid from `outbound.result`, its ticks from the
 *   simulator's status webhooks (`inbound.status`), which may arrive before the result;
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
var stream = null, from = "", name = "";
var byKey = new Map(), byWamid = new Map(), early = new Map();

function setConn(text, ok) { var c = $("conn"); c.textContent = text; c.className = ok ? "conn" : "conn off"; }
function scrollDown() { var m = $("messages"); m.scrollTop = m.scrollHeight; }
function clock(ts) { var d = ts ? new Date(ts) : new Date(); return d.toTimeString().slice(0, 5); }

function setStatus(el, status, title) {
  var now = el.dataset.status || "pending";
  if (status !== "failed" && RANK[status] <= RANK[now]) return;
  el.dataset.status = status;
  el.querySelector(".tick").textContent = TICKS[status];
  if (title) el.title = title;
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
  meta.appendChild(tick);
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

function connect() {
  from = $("from").value.trim();
  name = $("name").value.trim() || from;
  if (!/^\\d{6,15}$/.test(from)) { setConn("phone number: 6 to 15 digits", false); return; }
  if (!auth["x-playground-token"]) { setConn("open the playground link printed at start (it carries the token)", false); return; }
  if (stream) stream.abort();
  byKey.clear(); byWamid.clear(); early.clear();
  $("messages").textContent = "";
  ["stage", "route", "flow", "reason"].forEach(function (id) { $(id).textContent = "\\u2013"; });
  setConn("connecting\\u2026", false);
  stream = new AbortController();
  listen(stream, from);
}

// Server-sent events read with fetch (EventSource cannot send the token header), reconnecting
// after a second when the stream ends or fails, until another user is chosen.
function listen(ctl, who) {
  fetch(base + "/events?from=" + encodeURIComponent(who), { headers: auth, signal: ctl.signal })
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
  var el = bubble("me", shown);
  payload.from = from;
  payload.name = name;
  fetch(base + "/send", { method: "POST", headers: Object.assign({ "content-type": "application/json" }, auth), body: JSON.stringify(payload) })
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
fetch(base + "/info", { headers: auth }).then(function (r) { return r.json(); }).then(function (info) {
  if (!info.phoneNumberId) return;
  $("business").textContent = "business number id " + info.phoneNumberId;
  var list = $("simulated");
  (info.simulated.length ? info.simulated : ["nothing: every part is real"]).forEach(function (s) {
    var li = document.createElement("li");
    li.textContent = s;
    list.appendChild(li);
  });
});
connect();
`;
