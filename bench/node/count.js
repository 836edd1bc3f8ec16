// Prints how many distinct invitees the baseline stored: node count.js DB
'use strict';
const Database = require('better-sqlite3');
const db = new Database(process.argv[2], { readonly: true });
console.log(db.prepare('SELECT count(DISTINCT invitee) AS n FROM deliveries').get().n);
