/** The console's page: markup only; its script and stylesheet are same-origin assets (no CDN). */
export function consolePage(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flank console</title>
<link rel="stylesheet" href="${base}/console.css">
<script type="module" src="${base}/app/main.js"></script>
</head>
<body>
<section id="signin" class="signin">
  <h1>Flank console</h1>
  <p>Sign in with your agent key. An admin creates agents and their keys with <code>POST /v1/admin/agents</code>.</p>
  <form id="signin-form">
    <input id="key" type="password" autocomplete="current-password" placeholder="flk_agent_…" aria-label="agent key" required>
    <button type="submit">Sign in</button>
    <div id="signin-error" role="alert"></div>
  </form>
</section>
<div id="app" hidden>
  <header class="top">
    <strong>Flank</strong>
    <span id="me" class="grow"></span>
    <span id="live" class="live" title="connecting…"></span>
    <button id="signout" type="button">Sign out</button>
  </header>
  <div id="notice" class="notice" role="status"></div>
  <main class="layout">
    <section id="lists" class="lists">
      <nav class="tabs">
        <button id="tab-queue" type="button" class="active">Queue <span id="count-queue" class="count"></span></button>
        <button id="tab-mine" type="button">Mine <span id="count-mine" class="count"></span></button>
        <button id="tab-all" type="button">All <span id="count-all" class="count"></span></button>
      </nav>
      <div class="filters">
        <input id="search" type="search" placeholder="Search name, number, stage" aria-label="search">
        <select id="filter-stage" aria-label="stage" hidden></select>
        <select id="filter-tenant" aria-label="business number" hidden></select>
      </div>
      <ul id="conversations"></ul>
      <button id="more" type="button" class="ghost" hidden>Load more</button>
    </section>
    <section id="chat" class="chat" hidden>
      <header class="chat-head">
        <button id="back" type="button" class="plain back" aria-label="back to the list">‹</button>
        <div class="who"><div id="chat-title"></div><div id="chat-sub"></div></div>
        <div class="actions">
          <button id="take" type="button">Take over</button>
          <button id="release" type="button" class="ghost">Release to bot</button>
          <span id="transfer-box"><select id="transfer-to" aria-label="transfer to"></select><button id="transfer" type="button" class="ghost">Transfer</button></span>
        </div>
      </header>
      <details class="about" open><summary>Stage, route and profile</summary><dl id="facts" class="facts"></dl></details>
      <div id="messages" class="messages" aria-live="polite"></div>
      <div id="held" class="held"></div>
      <form id="composer" class="composer" hidden>
        <div id="quick" hidden>
          <input id="quick-1" maxlength="20" placeholder="Quick reply 1" aria-label="quick reply 1">
          <input id="quick-2" maxlength="20" placeholder="Quick reply 2" aria-label="quick reply 2">
          <input id="quick-3" maxlength="20" placeholder="Quick reply 3" aria-label="quick reply 3">
        </div>
        <div class="line">
          <button id="quick-toggle" type="button" class="ghost" title="add quick-reply buttons">+</button>
          <input id="text" placeholder="Type a reply" autocomplete="off" aria-label="reply">
          <button id="send" type="submit">Send</button>
        </div>
      </form>
    </section>
  </main>
</div>
</body>
</html>`;
}
