import type { Server } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

/**
 * Nest's Express adapter, which closes what connections are left at shutdown with Node's own
 * `server.closeAllConnections()` (streams would otherwise hold the server open). Nest's
 * `forceCloseConnections` does it by tracking every socket, with a closure, a listener and an
 * entry in a Set for each, kept as long as the connection: for an idle stream, a few hundred
 * bytes more than it costs otherwise.
 */
export class ClosingExpressAdapter extends ExpressAdapter {
  override async close(): Promise<void> {
    // Stops listening first, then cuts what is left, so that nothing comes in between.
    const closed = super.close();
    (this.getHttpServer() as Server | undefined)?.closeAllConnections();
    await closed;
  }
}
