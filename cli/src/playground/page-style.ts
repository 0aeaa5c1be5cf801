/** The playground's CSS: WhatsApp-like bubbles and ticks, no external fonts or images. */
export const PLAYGROUND_STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111b21; background: #d1d7db; }
.top { display: flex; gap: 16px; align-items: center; padding: 10px 20px; background: #00a884; color: #fff; }
.top .muted { color: #e6fff8; }
.conn { padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #0b846d; }
.conn.off { background: #8a3b3b; }
/* A phone-sized column: the chat, then the settings under it. */
main.app { display: flex; flex-direction: column; gap: 12px; padding: 12px; max-width: 420px; margin: 0 auto; }
.panel { background: #fff; border-radius: 8px; padding: 16px; }
.panel h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #54656f; margin: 16px 0 8px; }
.panel h2:first-child { margin-top: 0; }
.row { display: flex; gap: 8px; }
.row label { flex: 1; }
label { display: block; font-size: 12px; color: #54656f; margin-bottom: 8px; }
input, select { width: 100%; padding: 8px 10px; border: 1px solid #d1d7db; border-radius: 6px; font: inherit; margin-top: 2px; background: #fff; }
button { padding: 8px 14px; border: 0; border-radius: 6px; background: #00a884; color: #fff; font: inherit; cursor: pointer; }
button:disabled { background: #9fb8b1; cursor: default; }
button.ghost { background: transparent; color: #00a884; border: 1px solid #00a884; padding: 4px 10px; }
.facts { display: grid; grid-template-columns: 60px 1fr; gap: 4px 8px; margin: 0; }
.facts dt { color: #54656f; }
.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.muted { color: #667781; }
.small { font-size: 12px; }
ul.muted { padding-left: 18px; margin: 0; font-size: 12px; }
code { background: #f0f2f5; padding: 0 3px; border-radius: 3px; }
.phone { display: flex; flex-direction: column; height: min(calc(100vh - 80px), 820px); min-height: 480px; border-radius: 18px; overflow: hidden; background: #efeae2; box-shadow: 0 2px 12px rgba(11,20,26,.2); }
.chat-head { display: flex; gap: 10px; align-items: center; padding: 10px 14px; background: #f0f2f5; border-bottom: 1px solid #d1d7db; }
.avatar { width: 36px; height: 36px; border-radius: 50%; background: #00a884; color: #fff; display: grid; place-items: center; font-weight: 700; }
.who { flex: 1; min-width: 0; }
.title { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.flow-bar { display: flex; gap: 8px; align-items: center; margin: 0; padding: 6px 14px; background: #f0f2f5; border-bottom: 1px solid #d1d7db; }
.flow-bar select { margin: 0; padding: 4px 8px; }
.messages { flex: 1; overflow-y: auto; padding: 12px 4%; display: flex; flex-direction: column; gap: 6px; }
.msg { max-width: 80%; padding: 6px 8px 4px 10px; border-radius: 8px; box-shadow: 0 1px .5px rgba(11,20,26,.13); white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.me { align-self: flex-end; background: #d9fdd3; }
.msg.bot { align-self: flex-start; background: #fff; }
.msg .author { font-size: 12px; font-weight: 600; color: #027eb5; }
.msg .meta { display: flex; justify-content: flex-end; gap: 4px; font-size: 11px; color: #667781; margin-top: 2px; }
.tick { font-size: 13px; letter-spacing: -3px; padding-right: 3px; color: #8696a0; }
.msg.me[data-status="read"] .tick, .read { color: #53bdeb; }
.msg.bot[data-status="failed"] { box-shadow: inset 3px 0 0 #ea0038; }
.msg[data-status="failed"] .tick { color: #ea0038; letter-spacing: 0; }
.buttons { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
.buttons button { background: #fff; color: #00a884; border: 1px solid #e9edef; }
.note { align-self: center; font-size: 12px; background: #ffeecd; color: #54656f; padding: 3px 10px; border-radius: 6px; }
.composer { display: flex; gap: 8px; padding: 10px; background: #f0f2f5; }
.composer input { margin: 0; border: 0; }
`;
