// Prints how many deliveries a baseline stored: node count.js DB
'use strict';
const Database = require('better-sqlite3');
const db = new Database(process.argv[2], { readonly: true });
const table = db.prepare("SELECT name FROM sqlite_master WHERE name IN ('deliveries', 'webhook_events')").get().name;
console.log(db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n);
