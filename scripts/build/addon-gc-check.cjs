// Run by the executable's Node against a freshly compiled better-sqlite3 addon, before it is
// cached: prepares and drops statements across microtask turns with a tiny young generation, so
// that V8 collects them often, some of them while no JS context is entered.
//
// Why: Node 24.19.0 backported cleanup hooks into node::ObjectWrap's headers
// (nodejs/node#65446); an addon compiled against those headers aborts the process with
// "Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook when a Statement is
// collected there. This loop hits it within a second; a healthy addon prints "ok".
const [addonFile, betterSqlite3] = process.argv.slice(2);
const Database = require(betterSqlite3);
const addon = { exports: {} };
process.dlopen(addon, addonFile);
const db = new Database(':memory:', { nativeBinding: addon.exports });
(async () => {
  for (let i = 0; i < 100000; i++) {
    db.prepare(`select ${i % 500} as v`).get();
    if (i % 10 === 0) await null;
  }
  db.close();
  process.stdout.write('ok\n');
})();
