import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureApp, type RippleApplication } from './app.setup.js';
import {
  logSettingsFromEnv,
  platformSettingsFromEnv,
  rippleConfig,
} from './config/ripple.config.js';
import { createAdapter } from './http/fastify-adapter.js';
import { listenAddress } from './http/listen-address.js';
import { bootLogger } from './ops/logging/boot-logger.js';

async function bootstrap(): Promise<void> {
  // The platform is chosen before the application exists: the configuration's own check (in
  // AppModule) refuses a bad value with every other one, this reading only picks the adapter.
  const platform = platformSettingsFromEnv();
  // Either closes the connections left at shutdown, which open streams would otherwise hold open.
  const app = await NestFactory.create<RippleApplication>(
    AppModule,
    await createAdapter(platform),
    {
      // Nothing takes a body but the publish route, which reads its own with SseModule's limit.
      bodyParser: false,
      // Lines logged while the application is built wait for pino; if the build fails (a refused
      // configuration), the boot logger prints them, in the same format.
      bufferLogs: true,
      logger: bootLogger(logSettingsFromEnv()),
    },
  );
  // Every `new Logger(...)` of the application now writes through pino.
  app.useLogger(app.get(PinoNestLogger));
  const config = app.get<ConfigType<typeof rippleConfig>>(rippleConfig.KEY);
  const logger = new Logger('Ripple');
  configureApp(app, config);
  await app.listen(config.port, config.host ?? '0.0.0.0');
  // What the socket is bound to, not getUrl()'s loopback stand-in for "every address".
  const bound = listenAddress((app.getHttpServer() as Server).address());
  logger.log(
    `Listening on ${bound} (${config.adapter}, transport ${config.transport}, instance ${config.instanceId})`,
  );

  // Graceful stop: readiness down, streams ended over the drain window, leases released, Redis
  // closed. A second signal, or the deadline, stops at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: shutting down (at most ${config.shutdownTimeoutMs} ms)`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting now`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// A start that fails once pino has taken over (a producer that cannot start, a port in use)
// says why in a log line like any other, then exits.
await bootstrap().catch((err: unknown) => {
  new Logger('Ripple').fatal(err instanceof Error ? err : String(err));
  process.exit(1);
});
