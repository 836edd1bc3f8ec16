// A typical Node/express Calendly webhook handler with better-sqlite3, as a
// baseline for calwatch's ingest benchmark (see BENCHMARKS.md). It does what
// calwatch does per delivery, the way such handlers are usually written: raw
// body, HMAC check in constant time, JSON.parse, then one synchronous
// transaction per request (delivery log row with a unique replay key, event
// upsert, invitee upsert, contact upsert), durable (WAL, synchronous=FULL),
// and 200 after the commit.
//
//   CALWATCH_SIGNING_KEY=k PORT=8788 DB=/tmp/node.db node server.js
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
const db = new Database(process.env.DB || 'node-baseline.db');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, received_at TEXT, event TEXT,
  replay_key TEXT UNIQUE, signature TEXT, body BLOB, invitee TEXT);
CREATE TABLE IF NOT EXISTS events (uri TEXT PRIMARY KEY, name TEXT, status TEXT, start_time TEXT, end_time TEXT);
CREATE TABLE IF NOT EXISTS invitees (uri TEXT PRIMARY KEY, event_uri TEXT, email TEXT, name TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS contacts (email TEXT PRIMARY KEY, name TEXT, bookings INTEGER DEFAULT 0);
`);
const insDelivery = db.prepare(`INSERT INTO deliveries (received_at, event, replay_key, signature, body, invitee)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (replay_key) DO NOTHING`);
const upEvent = db.prepare(`INSERT INTO events (uri, name, status, start_time, end_time) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (uri) DO UPDATE SET name = excluded.name, status = excluded.status,
  start_time = excluded.start_time, end_time = excluded.end_time`);
const upInvitee = db.prepare(`INSERT INTO invitees (uri, event_uri, email, name, status) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (uri) DO UPDATE SET status = excluded.status, email = excluded.email, name = excluded.name`);
const upContact = db.prepare(`INSERT INTO contacts (email, name, bookings) VALUES (?, ?, 1)
  ON CONFLICT (email) DO UPDATE SET name = excluded.name, bookings = bookings + 1`);

const apply = db.transaction((sig, raw, d, replayKey) => {
  const p = d.payload || {};
  const info = insDelivery.run(new Date().toISOString(), d.event, replayKey, sig, raw, p.uri || '');
  if (info.changes === 0) return 'duplicate';
  if (p.scheduled_event) {
    const e = p.scheduled_event;
    upEvent.run(e.uri, e.name, e.status, e.start_time, e.end_time);
  }
  if (p.uri && p.email) {
    upInvitee.run(p.uri, p.event, p.email, p.name, p.status);
    upContact.run(String(p.email).toLowerCase(), p.name);
  }
  return 'applied';
});

function verify(header, raw) {
  if (!header) return null;
  let t = null;
  const v1 = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=');
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  if (!t || !/^\d+$/.test(t) || Math.abs(Date.now() / 1000 - Number(t)) > 180) return null;
  const want = crypto.createHmac('sha256', key).update(t + '.').update(raw).digest();
  for (const v of v1) {
    const got = Buffer.from(v || '', 'hex');
    if (got.length === want.length && crypto.timingSafeEqual(got, want)) return t + '.' + v;
  }
  return null;
}

const app = express();
app.post('/webhooks/calendly', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const sig = req.get('Calendly-Webhook-Signature');
  const replayKey = verify(sig, raw);
  if (!replayKey) return res.status(401).json({ error: 'bad signature' });
  let d;
  try {
    d = JSON.parse(raw.toString('utf8'));
  } catch {
    return res.status(400).json({ error: 'not JSON' });
  }
  if (!d || typeof d !== 'object' || typeof d.event !== 'string') return res.status(400).json({ error: 'not a delivery' });
  try {
    res.json({ outcome: apply(sig, raw, d, replayKey) });
  } catch (err) {
    console.error(err.message);
    res.status(500).json({ error: 'not stored' });
  }
});
app.listen(port, '127.0.0.1', () => console.error(`node baseline on http://127.0.0.1:${port}/webhooks/calendly`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { db.close(); process.exit(0); });
