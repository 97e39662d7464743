// Minimal Chat SDK Telegram echo bot on a loopback port. Env: PORT, API (Bot API base URL),
// ECHO_MODE=all (post one echo per message, incl. context.skipped, oldest first) | latest (echo only `message`).
import http from "node:http";
import { Chat, ConsoleLogger } from "chat";
import { createTelegramAdapter } from "@chat-adapter/telegram";
import { createMemoryState } from "@chat-adapter/state-memory";

const port = Number(process.env.PORT);
const mode = process.env.ECHO_MODE || "all";
const level = process.env.LOG_LEVEL || "warn";
const telegram = createTelegramAdapter({
  botToken: "123456:bar-token",
  secretToken: "tg_bar_secret-1-0123456789abcdef0123456789",
  apiUrl: process.env.API,
  mode: "webhook",
  userName: "barbot",
  logger: new ConsoleLogger(level).child("telegram"),
});
const bot = new Chat({
  userName: "barbot",
  adapters: { telegram },
  state: createMemoryState(),
  concurrency: process.env.STRATEGY || "queue",
  logger: new ConsoleLogger(level),
});
let handlerCalls = 0, skippedSeen = 0, postErrors = 0;
bot.onDirectMessage(async (thread, message, channel, context) => {
  handlerCalls++;
  skippedSeen += context?.skipped?.length ?? 0;
  const msgs = mode === "all" ? [...(context?.skipped ?? []), message] : [message];
  for (const m of msgs) {
    try { await thread.post(m.text); } catch (e) { postErrors++; console.error("post failed", String(e)); }
  }
});
await bot.initialize();

const server = http.createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/health") { res.end("ok"); return; }
  if (req.method === "GET" && req.url === "/stats") {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ handlerCalls, skippedSeen, postErrors })); return;
  }
  if (req.method !== "POST" || req.url !== "/webhooks/telegram") { res.statusCode = 404; res.end(); return; }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
    method: "POST", headers: req.headers, body: Buffer.concat(chunks),
  });
  try {
    const r = await bot.webhooks.telegram(request, { waitUntil: (p) => { Promise.resolve(p).catch(() => {}); } });
    res.statusCode = r.status;
    res.end(Buffer.from(await r.arrayBuffer()));
  } catch (e) {
    console.error("webhook error", e); res.statusCode = 500; res.end();
  }
});
server.listen(port, "127.0.0.1", () => console.log(`chatsdk bot on ${port}, mode=${mode}, strategy=${process.env.STRATEGY || "queue"}`));
