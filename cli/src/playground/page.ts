import { PLAYGROUND_MEDIA_SCRIPT } from "./media.js";
import { PLAYGROUND_SCRIPT } from "./page-script.js";
import { PLAYGROUND_STYLE } from "./page-style.js";

/** The playground page: one self-contained document (no CDN, no build step, works offline). */
export function playgroundPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flank playground</title>
<style>${PLAYGROUND_STYLE}</style>
</head>
<body>
<header class="top">
  <strong>Flank playground</strong>
  <span id="conn" class="conn off">not connected</span>
</header>
<main class="app">
  <section class="phone" aria-label="chat">
    <div class="chat-head">
      <div class="avatar">F</div>
      <div class="who"><div id="chat-title" class="title">Flank bot</div><div id="typing" class="muted small">online</div></div>
      <button id="reset" type="button" class="ghost" title="Start this flow over: a new conversation">Reset</button>
    </div>
    <label class="flow-bar">Flow <select id="flow-pick" aria-label="flow"></select></label>
    <div id="messages" class="messages" aria-live="polite"></div>
    <form id="composer" class="composer">
      <input id="text" placeholder="Type a message" autocomplete="off" disabled>
      <button id="send" type="submit" disabled>Send</button>
    </form>
  </section>
  <aside class="panel">
    <h2>You, on WhatsApp</h2>
    <div class="row">
      <label>Phone number (wa_id)<input id="from" value="16505551234" inputmode="numeric" autocomplete="off"></label>
      <label>Name<input id="name" value="Ana" autocomplete="off"></label>
    </div>
    <button id="start" type="button" disabled>Chat as this user</button>
    <h2>Conversation</h2>
    <dl class="facts">
      <dt>stage</dt><dd id="stage">–</dd>
      <dt>route</dt><dd id="route">–</dd>
      <dt>flow</dt><dd id="flow">–</dd>
      <dt>why</dt><dd id="reason">–</dd>
    </dl>
    <p id="business" class="muted small"></p>
    <h2>Simulated here</h2>
    <ul id="simulated" class="muted"></ul>
    <p class="muted small">Each message is a Meta webhook, signed with the app secret and posted to
    <code>/webhook/whatsapp</code>. A flow runs on its own simulated business number; Reset opens a
    new one, so the next message starts a fresh conversation. Ticks on your messages come from the
    gateway, the router and the bot's read receipt: ✓ sent, ✓✓ delivered, <span class="read">✓✓</span> read.</p>
  </aside>
</main>
<script>${PLAYGROUND_SCRIPT}</script>
<script>${PLAYGROUND_MEDIA_SCRIPT}</script>
</body>
</html>`;
}
