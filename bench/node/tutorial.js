// The Calendly webhook handler a developer writes from the tutorials and
// Calendly's own Node sample, as a second baseline for BENCHMARKS.md:
// express.json() parses the body, the HMAC is computed over
// JSON.stringify(req.body) (not the raw bytes: deliveries whose bytes
// re-serialise differently, e.g. an escaped "&", are refused), and one
// INSERT of the event per request into better-sqlite3 in WAL mode at the
// library's default synchronous setting. server.js beside it is the fairer
// baseline (raw body, FULL, four upserts); keep both.
//
//   CALWATCH_SIGNING_KEY=k PORT=8788 DB=/tmp/tutorial.db node tutorial.js
'use strict';
const crypto = require('crypto');
const express = require('express');
const Database = require('better-sqlite3');

const key = process.env.CALWATCH_SIGNING_KEY;
if (!key) {
  console.error('set CALWATCH_SIGNING_KEY');
  process.exit(2);
}
const port = Number(process.env.PORT || 8788);
const db = new Database(process.env.DB || 'tutorial.db');
db.pragma('journal_mode = WAL');
console.error(`tutorial handler: synchronous=${db.pragma('synchronous', { simple: true })}`);
db.exec(`CREATE TABLE IF NOT EXISTS webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT, invitee TEXT, payload TEXT, received_at TEXT)`);
const insert = db.prepare('INSERT INTO webhook_events (event, invitee, payload, received_at) VALUES (?, ?, ?, ?)');

const app = express();
app.use(express.json());
app.post('/webhooks/calendly', (req, res) => {
  const header = req.get('Calendly-Webhook-Signature') || '';
  const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  if (!t || !v1) return res.status(401).send('Invalid signature');
  const expected = crypto.createHmac('sha256', key).update(t + '.' + JSON.stringify(req.body)).digest('hex');
  if (expected !== v1) return res.status(401).send('Invalid signature');
  if (Math.abs(Date.now() / 1000 - Number(t)) > 180) return res.status(401).send('Stale');
  const payload = req.body.payload || {};
  insert.run(req.body.event, payload.uri || '', JSON.stringify(req.body), new Date().toISOString());
  res.sendStatus(200);
});
app.listen(port, '127.0.0.1', () => console.error(`tutorial handler on http://127.0.0.1:${port}/webhooks/calendly`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { db.close(); process.exit(0); });
