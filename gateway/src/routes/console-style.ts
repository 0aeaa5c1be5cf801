/** The console's stylesheet (served as /console/console.css): phone first, two panes from 720 px. */
export const CONSOLE_STYLE = `
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111b21; background: #f0f2f5; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; border: 0; border-radius: 6px; padding: 8px 12px; background: #00a884; color: #fff; }
button.plain { background: transparent; color: inherit; padding: 6px 8px; }
button.ghost { background: #fff; color: #00a884; border: 1px solid #d1d7db; }
input, select { font: inherit; padding: 8px 10px; border: 1px solid #d1d7db; border-radius: 6px; background: #fff; min-width: 0; }
.signin { max-width: 380px; margin: 12vh auto; padding: 24px; background: #fff; border-radius: 10px; }
.signin h1 { font-size: 20px; margin: 0 0 8px; }
.signin form { display: flex; flex-direction: column; gap: 10px; margin-top: 12px; }
.error, .signin #signin-error { color: #b3261e; font-size: 13px; min-height: 1em; }
.top { display: flex; align-items: center; gap: 10px; padding: 8px 12px; background: #00a884; color: #fff; }
.top .grow { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.top button { background: #0b846d; padding: 6px 10px; }
.live { width: 10px; height: 10px; border-radius: 50%; background: #f0b429; flex: none; }
.live.on { background: #d9fdd3; }
.notice { padding: 4px 12px; font-size: 13px; color: #54656f; min-height: 1.6em; }
.notice.error { color: #b3261e; }
.layout { display: flex; height: calc(100vh - 76px); }
.lists { width: 100%; display: flex; flex-direction: column; background: #fff; min-height: 0; }
.tabs { display: flex; border-bottom: 1px solid #e9edef; }
.tabs button { flex: 1; background: none; color: #54656f; border-radius: 0; border-bottom: 3px solid transparent; }
.tabs button.active { color: #00a884; border-bottom-color: #00a884; font-weight: 600; }
.count { display: inline-block; min-width: 1.5em; padding: 0 5px; border-radius: 10px; background: #e9edef; font-size: 12px; }
.filters { display: flex; gap: 6px; padding: 8px; flex-wrap: wrap; }
.filters input { flex: 1 1 140px; }
#conversations { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }
#conversations .empty { padding: 24px; color: #667781; text-align: center; }
.item { display: flex; flex-direction: column; gap: 2px; width: 100%; text-align: left; background: #fff; color: inherit; border-radius: 0; border-bottom: 1px solid #f0f2f5; padding: 10px 12px; }
.item.active { background: #f0f2f5; }
.row { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.time, .sub { color: #667781; font-size: 13px; }
.badge { background: #25d366; color: #fff; border-radius: 10px; padding: 0 7px; font-size: 12px; font-weight: 700; }
#more { margin: 8px; }
.chat { display: flex; flex-direction: column; flex: 1; min-width: 0; background: #efeae2; }
.chat-head { display: flex; align-items: center; gap: 8px; padding: 8px 10px; background: #f0f2f5; border-bottom: 1px solid #d1d7db; flex-wrap: wrap; }
.chat-head .who { flex: 1; min-width: 120px; }
#chat-title { font-weight: 600; }
#chat-sub { font-size: 13px; color: #667781; }
.actions { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
#transfer-box { display: flex; gap: 4px; }
details.about { background: #fff; border-bottom: 1px solid #d1d7db; padding: 6px 12px; font-size: 13px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0; }
.facts dt { color: #667781; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.messages { flex: 1; overflow-y: auto; padding: 12px 4%; display: flex; flex-direction: column; gap: 6px; min-height: 0; }
.msg { max-width: 85%; padding: 6px 8px 4px 10px; border-radius: 8px; box-shadow: 0 1px .5px rgba(11,20,26,.13); white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; }
.msg.user { align-self: flex-start; }
.msg.bot, .msg.agent, .msg.api, .msg.business, .msg.echo { align-self: flex-end; background: #d9fdd3; }
.msg.agent { background: #cfe9ff; }
.msg.echo { background: #fdf3c4; }
.msg.system { align-self: center; background: #ffeecd; font-size: 13px; }
.author { font-size: 12px; font-weight: 600; color: #027eb5; }
.msg.bot .author { color: #00a884; }
.choices { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.choices span { border: 1px solid #c6d2d8; border-radius: 12px; padding: 1px 8px; font-size: 13px; color: #027eb5; background: #fff; }
.meta { display: flex; justify-content: flex-end; gap: 4px; font-size: 11px; color: #667781; }
.tick { letter-spacing: -3px; padding-right: 3px; color: #8696a0; }
.msg[data-status="read"] .tick { color: #53bdeb; }
.msg[data-status="failed"] .tick { color: #ea0038; letter-spacing: 0; }
.held { padding: 10px; text-align: center; color: #54656f; background: #f0f2f5; }
.composer { display: flex; flex-direction: column; gap: 6px; padding: 8px; background: #f0f2f5; }
.composer .line { display: flex; gap: 6px; }
.composer .line input { flex: 1; }
#quick { display: flex; gap: 6px; flex-wrap: wrap; }
#quick input { flex: 1 1 90px; }
.back { display: inline-block; }
@media (min-width: 720px) {
  .lists { width: 340px; flex: none; border-right: 1px solid #d1d7db; }
  .back { display: none; }
}
@media (max-width: 719px) {
  body.open .lists { display: none; }
  body:not(.open) .chat { display: none; }
}
`;
