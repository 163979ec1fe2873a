/**
 * The child side of the orchestrator's command protocol (see children.mjs): each `{ id, cmd }`
 * message runs `handlers[cmd]` and is answered with `{ id, ok, ...result }` or `{ id, ok: false,
 * error }`. The child announces itself with `{ type: 'ready', ...ready }`, and exits when the
 * orchestrator goes, so no run leaves orphans.
 */
export function serveCommands(handlers, ready) {
  process.on('message', (msg) => {
    const handler = handlers[msg?.cmd];
    if (!handler) {
      process.send({ id: msg?.id, ok: false, error: `unknown command ${msg?.cmd}` });
      return;
    }
    handler(msg).then(
      (result) => process.send({ id: msg.id, ok: true, ...result }),
      (err) => process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', pid: process.pid, ...ready });
}
