import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { rippleConfig } from './config/ripple.config.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    // Open streams would otherwise hold the server open on shutdown.
    forceCloseConnections: true,
    // configureApp() installs the JSON parser with Ripple's own size limit.
    bodyParser: false,
  });
  const config = app.get<ConfigType<typeof rippleConfig>>(rippleConfig.KEY);
  configureApp(app, config.maxPayloadBytes);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host ?? '0.0.0.0');
  new Logger('Ripple').log(
    `Listening on ${await app.getUrl()} (transport ${config.transport}, instance ${config.instanceId})`,
  );
}

await bootstrap();
