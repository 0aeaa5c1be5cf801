import { type Api, ApiFailure, createApi } from "./api.js";
import { $, h, input } from "./dom.js";
import type {
  Agent,
  AgentStatus,
  Conversation,
  FlankEvent,
  OutboundMessage,
  Status,
  StoredMessage,
  UserProfile,
} from "./types.js";
import {
  actionsFor,
  type BubbleKind,
  bubbleOf,
  choicesOf,
  describeInbound,
  describeOutbound,
  laterStatus,
  matchesSearch,
  routeLabel,
  shortTime,
  TICKS,
  textOf,
  titleOf,
  unreadBadge,
} from "./view.js";

// The operator console: sign in with an agent key, lists, a conversation, live updates. Plain
// DOM; every text goes in as text (h() never parses HTML).

type Tab = "queue" | "mine" | "all";
interface Bubble {
  kind: BubbleKind;
  author: string;
  text: string;
  ts: string;
  status?: Status;
  choices?: string[];
  wamid?: string;
}
interface Open {
  id: string;
  conversation: Conversation;
  user?: UserProfile;
  bubbles: Map<string, HTMLElement>;
  byWamid: Map<string, HTMLElement>;
  /** Statuses that arrived before their message's wamid was known. */
  early: Map<string, Status>;
}

const KEY_STORE = "flank.console.key";
let api: Api;
let me: Agent;
let tab: Tab = "queue";
let list: Conversation[] = [];
let cursor: string | undefined;
let open: Open | undefined;
const stages = new Set<string>();
const tenants = new Set<string>();
let stop = new AbortController();

function notice(text: string, error = false): void {
  const el = $("notice");
  el.textContent = text;
  el.className = error ? "notice error" : "notice";
}

const failed = (err: unknown) => notice(err instanceof ApiFailure ? err.message : String(err), true);

// --- sign in ---------------------------------------------------------------------------------

async function signIn(key: string): Promise<void> {
  const candidate = createApi(key);
  try {
    const res = await candidate.get<{ agent: Agent; heartbeatTtlMs: number }>("/v1/agents/me");
    api = candidate;
    me = res.agent;
    sessionStorage.setItem(KEY_STORE, key);
    start(res.heartbeatTtlMs);
  } catch (err) {
    sessionStorage.removeItem(KEY_STORE);
    $("signin-error").textContent =
      err instanceof ApiFailure && err.status === 401
        ? "That key is not valid, or its agent is disabled."
        : err instanceof ApiFailure && err.status === 403
          ? "This is not an agent key: ask an admin for yours."
          : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function start(ttlMs: number): void {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("me").textContent = `${me.name} (${me.id})`;
  for (const t of me.tenants) if (t !== "*") tenants.add(t);
  fillSelect("filter-tenant", tenants, "all numbers");
  stop = new AbortController();
  // Presence from the open page: heartbeats while it is open, offline when it goes away.
  const beat = () => api.post(`/v1/agents/${encodeURIComponent(me.id)}/heartbeat`).catch(failed);
  void beat();
  const timer = setInterval(beat, Math.max(5000, Math.floor(ttlMs / 3)));
  stop.signal.addEventListener("abort", () => clearInterval(timer));
  addEventListener("pagehide", () => api.beacon(`/v1/agents/${encodeURIComponent(me.id)}/offline`));
  void api.follow(
    onEvent,
    (live) => {
      $("live").className = live ? "live on" : "live";
      $("live").title = live ? "live updates" : "reconnecting…";
    },
    stop.signal,
  );
  void refresh();
}

function signOut(): void {
  api.beacon(`/v1/agents/${encodeURIComponent(me.id)}/offline`);
  stop.abort();
  sessionStorage.removeItem(KEY_STORE);
  location.reload();
}

// --- lists -----------------------------------------------------------------------------------

function fillSelect(id: string, values: Set<string>, all: string): void {
  const select = $(id) as HTMLSelectElement;
  const current = select.value;
  select.replaceChildren(
    h("option", { value: "" }, all),
    ...[...values].sort().map((v) => h("option", { value: v }, v)),
  );
  select.value = values.has(current) ? current : "";
  select.hidden = values.size < 2 && !current;
}

function listQuery(after?: string): string {
  const q = new URLSearchParams({ limit: "50" });
  if (tab === "queue") q.set("route", "queue");
  if (tab === "mine") q.set("agent", me.id);
  const stage = ($("filter-stage") as HTMLSelectElement).value;
  const tenant = ($("filter-tenant") as HTMLSelectElement).value;
  if (stage) q.set("stage", stage);
  if (tenant) q.set("tenant", tenant);
  if (after) q.set("cursor", after);
  return `/v1/agents/conversations?${q}`;
}

async function loadList(more = false): Promise<void> {
  const page = await api.get<{ items: Conversation[]; nextCursor?: string }>(
    listQuery(more ? cursor : undefined),
  );
  list = more ? [...list, ...page.items] : page.items;
  cursor = page.nextCursor;
  for (const c of page.items) {
    if (c.stage) stages.add(c.stage);
    tenants.add(c.tenant);
  }
  fillSelect("filter-stage", stages, "all stages");
  if (me.tenants.includes("*")) fillSelect("filter-tenant", tenants, "all numbers");
  renderList();
}

async function loadCounts(): Promise<void> {
  const counts = await api.get<{ queue: number; mine?: number; all: number }>("/v1/agents/counts");
  $("count-queue").textContent = String(counts.queue);
  $("count-mine").textContent = String(counts.mine ?? 0);
  $("count-all").textContent = String(counts.all);
}

function renderList(): void {
  const query = input("search").value;
  const shown = list.filter((c) => matchesSearch(c, query));
  const items = shown.map((c) => {
    const badge = unreadBadge(c.unread);
    return h(
      "li",
      {},
      h(
        "button",
        { type: "button", class: open?.id === c.id ? "item active" : "item", "data-id": c.id },
        h(
          "span",
          { class: "row" },
          h("span", { class: "name" }, titleOf(c)),
          h("span", { class: "time" }, shortTime(c.updatedAt)),
        ),
        h(
          "span",
          { class: "row" },
          h("span", { class: "sub" }, `${c.stage ?? "–"} · ${routeLabel(c.route, me.id)}`),
          badge ? h("span", { class: "badge", title: "unread" }, badge) : undefined,
        ),
      ),
    );
  });
  $("conversations").replaceChildren(
    ...(items.length ? items : [h("li", { class: "empty" }, "Nothing here.")]),
  );
  $("more").hidden = !cursor;
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Lists and counts again, at most once a second however many events arrive (rate limits). */
function refresh(): Promise<void> {
  clearTimeout(refreshTimer);
  return new Promise((resolve) => {
    refreshTimer = setTimeout(() => {
      void Promise.all([loadList(), loadCounts()])
        .catch(failed)
        .then(() => resolve());
    }, 1000);
  });
}

// --- one conversation ------------------------------------------------------------------------

async function openConversation(id: string): Promise<void> {
  const detail = await api.get<{ conversation: Conversation; user?: UserProfile }>(
    `/v1/agents/conversations/${encodeURIComponent(id)}`,
  );
  open = { id, ...detail, bubbles: new Map(), byWamid: new Map(), early: new Map() };
  document.body.classList.add("open");
  $("chat").hidden = false;
  $("messages").replaceChildren();
  // The facts fold away on a phone, where the messages need the room.
  ($("facts").parentElement as HTMLDetailsElement).open = matchMedia("(min-width: 720px)").matches;
  renderFacts();
  let page: string | undefined;
  do {
    const q = new URLSearchParams({ limit: "500", ...(page ? { cursor: page } : {}) });
    const res = await api.get<{ items: StoredMessage[]; nextCursor?: string }>(
      `/v1/agents/conversations/${encodeURIComponent(id)}/messages?${q}`,
    );
    if (open?.id !== id) return;
    for (const m of res.items) {
      const { kind, author } = bubbleOf(m);
      const raw = (m.raw ?? {}) as { message?: OutboundMessage };
      addBubble(m.id, {
        kind,
        author,
        text: textOf(m),
        ts: m.timestamp,
        ...(m.direction === "outbound" ? { status: m.status ?? "queued" } : {}),
        ...(raw.message ? { choices: choicesOf(raw.message) } : {}),
        ...(m.wamid ? { wamid: m.wamid } : {}),
      });
    }
    page = res.nextCursor;
  } while (page);
  renderList();
  if (detail.conversation.unread) await markRead();
}

async function reloadConversation(): Promise<void> {
  if (!open) return;
  const detail = await api.get<{ conversation: Conversation; user?: UserProfile }>(
    `/v1/agents/conversations/${encodeURIComponent(open.id)}`,
  );
  if (!open) return;
  open.conversation = detail.conversation;
  if (detail.user) open.user = detail.user;
  renderFacts();
}

function closeConversation(): void {
  open = undefined;
  document.body.classList.remove("open");
  $("chat").hidden = true;
  renderList();
}

function renderFacts(): void {
  if (!open) return;
  const c = open.conversation;
  const u = open.user;
  $("chat-title").textContent = titleOf(c);
  $("chat-sub").textContent = `${c.waId ? `+${c.waId}` : c.user} · ${routeLabel(c.route, me.id)}`;
  const facts: [string, string | undefined][] = [
    ["stage", c.stage ?? "–"],
    ["route", c.route],
    ["flow", c.flowId],
    ["number", c.tenant],
    ["name", u?.profileName ?? c.profileName],
    ["username", u?.username],
    ["user id", u?.userId ?? c.userId],
    ["first seen", u?.firstSeenAt && new Date(u.firstSeenAt).toLocaleString()],
    ...Object.entries(u?.metadata ?? {}).map(([k, v]): [string, string] => [
      k,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  ];
  $("facts").replaceChildren(
    ...facts.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)]),
  );
  const can = actionsFor(c.route, me.id);
  ($("take") as HTMLButtonElement).hidden = !can.take;
  ($("release") as HTMLButtonElement).hidden = !can.release;
  $("transfer-box").hidden = !can.transfer;
  $("composer").hidden = !can.reply;
  $("held").hidden = can.reply;
  $("held").textContent = can.take
    ? "Take this conversation over to reply."
    : `${routeLabel(c.route, me.id)} is handling this conversation.`;
  if (can.transfer) void loadTransferTargets(c.tenant);
}

async function loadTransferTargets(tenant: string): Promise<void> {
  const { agents } = await api.get<{ agents: AgentStatus[] }>(
    `/v1/agents?tenant=${encodeURIComponent(tenant)}`,
  );
  const others = agents.filter((a) => a.agentId !== me.id);
  ($("transfer-to") as HTMLSelectElement).replaceChildren(
    h("option", { value: "" }, others.length ? "transfer to…" : "nobody else online"),
    ...others.map((a) => h("option", { value: a.agentId }, `${a.name ?? a.agentId} (${a.load})`)),
  );
}

function addBubble(key: string, b: Bubble): void {
  if (!open || open.bubbles.has(key)) return;
  const meta = h("div", { class: "meta" }, h("span", {}, shortTime(b.ts)));
  if (b.status) meta.append(h("span", { class: "tick" }, TICKS[b.status]));
  const el = h(
    "div",
    { class: `msg ${b.kind}`, "data-key": key, "data-status": b.status },
    b.author ? h("div", { class: "author" }, b.author) : undefined,
    h("div", { class: "body" }, b.text),
    b.choices?.length ? h("div", { class: "choices" }, ...b.choices.map((c) => h("span", {}, c))) : undefined,
    meta,
  );
  open.bubbles.set(key, el);
  const box = $("messages");
  box.append(el);
  box.scrollTop = box.scrollHeight;
  if (b.wamid) attachWamid(el, b.wamid);
}

function setStatus(el: HTMLElement, status: Status): void {
  const next = laterStatus(el.dataset.status as Status | undefined, status);
  el.dataset.status = next;
  const tick = el.querySelector(".tick");
  if (tick) tick.textContent = TICKS[next];
}

function attachWamid(el: HTMLElement, wamid: string): void {
  if (!open) return;
  open.byWamid.set(wamid, el);
  const seen = open.early.get(wamid);
  if (seen) {
    open.early.delete(wamid);
    setStatus(el, seen);
  }
}

function statusOf(wamid: string, status: Status): void {
  if (!open) return;
  const el = open.byWamid.get(wamid);
  if (el) setStatus(el, status);
  else open.early.set(wamid, laterStatus(open.early.get(wamid), status));
}

let readTimer: ReturnType<typeof setTimeout> | undefined;
async function markRead(): Promise<void> {
  if (!open) return;
  clearTimeout(readTimer);
  const id = open.id;
  readTimer = setTimeout(() => {
    void api.post(`/v1/agents/conversations/${encodeURIComponent(id)}/read`).then(refresh, failed);
  }, 200);
}

// --- live events -----------------------------------------------------------------------------

function onEvent(e: FlankEvent): void {
  // Only what changes the lists (a new message, a route or stage change) reloads them.
  if (e.type === "inbound.message" || e.type === "conversation.updated") void refresh();
  if (!open || e.conversationId !== open.id) return;
  const d = e.data;
  switch (e.type) {
    case "inbound.message":
      addBubble(String(d.wamid), {
        kind: "user",
        author: "",
        text: describeInbound(d),
        ts: String(d.timestamp ?? e.ts),
      });
      if (!document.hidden) void markRead();
      return;
    case "outbound.request": {
      const message = d.message as OutboundMessage;
      if (message.type === "read") return;
      const { kind, author } = bubbleOf({ direction: "outbound", raw: d });
      addBubble(String(d.idempotencyKey), {
        kind,
        author,
        text: describeOutbound(message),
        ts: e.ts,
        status: "queued",
        choices: choicesOf(message),
      });
      return;
    }
    case "outbound.result": {
      const el = open.bubbles.get(String(d.idempotencyKey));
      if (!el) return;
      if (d.status === "sent" && typeof d.wamid === "string") {
        setStatus(el, "sent");
        attachWamid(el, d.wamid);
      } else if (d.status === "failed" && d.final) setStatus(el, "failed");
      return;
    }
    case "inbound.status":
      statusOf(String(d.wamid), d.status as Status);
      return;
    case "conversation.updated":
    case "conversation.routed":
      void reloadConversation().catch(failed);
      return;
  }
}

// --- actions ---------------------------------------------------------------------------------

async function act(action: "take" | "release" | "transfer", body: unknown = {}): Promise<void> {
  if (!open) return;
  await api.post(`/v1/agents/conversations/${encodeURIComponent(open.id)}/${action}`, body);
  notice(
    action === "take"
      ? "You have this conversation."
      : action === "release"
        ? "Back with the bot."
        : "Transferred.",
  );
  await reloadConversation();
  await refresh();
}

async function reply(): Promise<void> {
  if (!open) return;
  const text = input("text").value.trim();
  if (!text) return;
  const titles = ["quick-1", "quick-2", "quick-3"].map((id) => input(id).value.trim()).filter(Boolean);
  const message: OutboundMessage | undefined = titles.length
    ? {
        type: "buttons",
        body: text,
        buttons: titles.map((title, i) => ({ id: `quick.${i + 1}`, title: title.slice(0, 20) })),
      }
    : undefined;
  // getRandomValues, not randomUUID: the console may be opened over plain HTTP on a LAN address.
  const key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  await api.post(
    `/v1/agents/conversations/${encodeURIComponent(open.id)}/reply`,
    message ? { message } : { text },
    { "idempotency-key": key },
  );
  addBubble(key, {
    kind: "agent",
    author: me.name,
    text,
    ts: new Date().toISOString(),
    status: "queued",
    ...(message ? { choices: titles } : {}),
  });
  input("text").value = "";
  for (const id of ["quick-1", "quick-2", "quick-3"]) input(id).value = "";
  $("quick").hidden = true;
}

// --- wiring ----------------------------------------------------------------------------------

const guard = (fn: () => Promise<void>) => () => void fn().catch(failed);

$("signin-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void signIn(input("key").value.trim());
});
$("signout").addEventListener("click", signOut);
for (const t of ["queue", "mine", "all"] as const) {
  $(`tab-${t}`).addEventListener("click", () => {
    tab = t;
    for (const o of ["queue", "mine", "all"]) $(`tab-${o}`).classList.toggle("active", o === t);
    cursor = undefined;
    void loadList().catch(failed);
  });
}
input("search").addEventListener("input", renderList);
for (const id of ["filter-stage", "filter-tenant"])
  $(id).addEventListener(
    "change",
    guard(() => loadList()),
  );
$("more").addEventListener(
  "click",
  guard(() => loadList(true)),
);
$("conversations").addEventListener("click", (ev) => {
  const item = (ev.target as HTMLElement).closest<HTMLElement>("[data-id]");
  if (item?.dataset.id) void openConversation(item.dataset.id).catch(failed);
});
$("back").addEventListener("click", closeConversation);
$("take").addEventListener(
  "click",
  guard(() => act("take")),
);
$("release").addEventListener(
  "click",
  guard(() => act("release")),
);
$("transfer").addEventListener(
  "click",
  guard(async () => {
    const to = ($("transfer-to") as HTMLSelectElement).value;
    if (to) await act("transfer", { to });
  }),
);
$("quick-toggle").addEventListener("click", () => {
  $("quick").hidden = !$("quick").hidden;
});
$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void reply().catch(failed);
});

const saved = sessionStorage.getItem(KEY_STORE);
if (saved) void signIn(saved);
